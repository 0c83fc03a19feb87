from django.apps import AppConfig


class AcknowledgementsConfig(AppConfig):
    name = "acknowledgements"
    verbose_name = "Policy acknowledgements"

    def ready(self) -> None:
        from acknowledgements import navigation, publishing, todo
        from portal import context_processors, staff_import
        from portal import todo as portal_todo

        staff_import.PEOPLE_ADDED_HOOKS.append(
            lambda user_ids: publishing.assign_all_policies(user_ids=user_ids)
        )
        context_processors.NAV_PROVIDERS.append(navigation.items)
        portal_todo.PROVIDERS[:0] = [todo.sign_policy, todo.questions_to_answer]
