from django.urls import reverse


def test_home_needs_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_employee_sees_home(client, employee):
    client.force_login(employee)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Your to-do list" in response.content
