"""The PDFs' fonts (portal.fonts): which fallback fonts a text needs, where the files are found,
and what happens when one is missing."""

from __future__ import annotations

import io
import shutil

import pypdf
import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from portal import fonts
from portal.checks import pdf_fonts


def families(*texts: str) -> list[str]:
    return [face.family for face in fonts.fallbacks_for(texts)]


def test_latin_greek_and_cyrillic_need_no_fallback() -> None:
    assert families("Łukasz Wójcik", "Γιώργος", "Дмитрий Ґонта", "Nguyễn Văn Hưng", "Œuvre") == []


def test_each_script_picks_the_font_that_draws_it() -> None:
    assert families("محمد") == ["arabic"]
    assert families("דוד") == ["hebrew"]
    assert families("अमित") == ["devanagari"]
    assert families("রবীন্দ্রনাথ") == ["bengali"]
    assert families("முத்து") == ["tamil"]
    assert families("ਸਿੰਘ") == ["gurmukhi"]
    assert families("สมชาย") == ["thai"]
    assert families("김민준") == ["korean"]
    assert families("王秀英", "山田たろう") == ["cjk"]


def test_hangul_only_is_taken_from_the_korean_font() -> None:
    # NanumGothic has Chinese characters too; they come from the Chinese and Japanese font, so
    # a Chinese name does not mix two designs.
    assert families("김 王") == ["korean", "cjk"]
    assert families("王") == ["cjk"]


def test_a_line_mixing_scripts_needs_each_font_once_in_fallback_order() -> None:
    assert families("王秀英 signed for محمد and דוד, with अमित") == [
        "arabic",
        "hebrew",
        "devanagari",
        "cjk",
    ]


def test_spaces_and_joiners_need_no_font() -> None:
    assert families("\u200b\u200d\u00a0\u2009 \t\n") == []


def test_a_character_no_font_has_is_left_out_of_the_choice() -> None:
    assert families("\U000f0000") == []  # a private-use character


def test_only_the_fonts_a_document_needs_are_embedded() -> None:
    pdf = fonts.PortalPDF()
    fonts.prepare(pdf, ["Łukasz 王"])
    pdf.add_page()
    pdf.set_font(fonts.SANS, size=10)
    pdf.cell(text="Łukasz 王")
    reader = pypdf.PdfReader(io.BytesIO(bytes(pdf.output())))

    embedded = {
        font.get_object()["/BaseFont"].split("+")[-1]
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }

    assert set(pdf.fonts) == {"sans", "sansB", "mono", "monoB", "cjk"}  # loaded
    assert embedded == {"NotoSans", "DroidSansFallback"}  # drawn with, subset
    assert reader.pages[0].extract_text() == "Łukasz 王"


def test_a_missing_font_directory_is_named_in_the_message(settings, tmp_path) -> None:
    settings.FONT_DIRS = [str(tmp_path / "nowhere")]

    with pytest.raises(fonts.MissingFont) as raised:
        fonts.find("NotoSans-Regular.ttf")

    message = str(raised.value)
    assert "NotoSans-Regular.ttf" in message
    assert str(tmp_path / "nowhere") in message
    assert "fonts-noto-core" in message and "PORTAL_FONT_DIRS" in message


def test_the_system_check_names_each_missing_file(settings, tmp_path) -> None:
    shutil.copy(fonts.find("NotoSans-Regular.ttf"), tmp_path)
    settings.FONT_DIRS = [str(tmp_path)]

    (error,) = pdf_fonts()

    assert error.id == "portal.E001" and error.level == checks.ERROR
    assert "NotoSans-Bold.ttf" in error.msg and "DroidSansFallbackFull.ttf" in error.msg
    assert "NotoSans-Regular.ttf" not in error.msg
    assert "PORTAL_FONT_DIRS" in error.hint
    with pytest.raises(SystemCheckError, match=r"DroidSansFallbackFull\.ttf"):
        call_command("check")


def test_the_system_check_passes_with_the_font_packages_installed() -> None:
    assert pdf_fonts() == []


def test_font_directories_are_searched_in_order(settings, tmp_path) -> None:
    shutil.copy(fonts.find("DejaVuSansMono.ttf"), tmp_path / "NotoSans-Regular.ttf")
    settings.FONT_DIRS = [str(tmp_path), *settings.FONT_DIRS]

    assert fonts.find("NotoSans-Regular.ttf") == tmp_path / "NotoSans-Regular.ttf"
    assert fonts.find("NotoSans-Bold.ttf").parent != tmp_path


def drawn(text: str) -> bytes:
    pdf = fonts.PortalPDF()
    fonts.prepare(pdf, [text])
    pdf.add_page()
    pdf.set_font(fonts.SANS, size=10)
    pdf.cell(text=text)
    return bytes(pdf.output())


def test_documents_share_parsed_fonts_but_not_their_subsets() -> None:
    first, second = drawn("王秀英"), drawn("李雷")

    for pdf, text, other in ((first, "王秀英", "李雷"), (second, "李雷", "王秀英")):
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        assert reader.pages[0].extract_text() == text
        (cjk,) = [
            font.get_object()
            for font in reader.pages[0]["/Resources"]["/Font"].values()
            if "DroidSansFallback" in font.get_object()["/BaseFont"]
        ]
        mapping = cjk["/ToUnicode"].get_data().decode("latin-1")
        for char in text:
            assert f"{ord(char):04X}" in mapping
        for char in other:
            assert f"{ord(char):04X}" not in mapping


def test_only_text_that_needs_it_is_shaped() -> None:
    for plain in ("Emma Jones", "Łukasz Wójcik", "Γιώργος", "Дмитрий", "王秀英", "김민준", "Tuấn"):
        assert not fonts.needs_shaping([plain]), plain
    for shaped in ("محمد", "דוד", "अमित", "ใจดี", "ਸਿੰਘ", "Nguye\u0302\u0303n", "\u1100\u1161"):
        assert fonts.needs_shaping(["Signed by", shaped]), shaped


@pytest.mark.parametrize("name", ["王秀英", "דוד כהן", "अमित शर्मा"])
@pytest.mark.parametrize("line", ["{name}", "Name: {name}"])
def test_a_line_after_one_ending_in_a_fallback_font_is_drawn_in_its_own(line, name) -> None:
    pdf = fonts.PortalPDF()
    fonts.prepare(pdf, [name])
    pdf.add_page()
    pdf.set_font(fonts.SANS, size=10)
    pdf.multi_cell(0, 8, line.format(name=name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.SANS, size=10)
    pdf.multi_cell(0, 8, "Signed today.", new_x="LMARGIN", new_y="NEXT")

    text = pypdf.PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].extract_text()

    assert text.splitlines()[-1] == "Signed today."


@pytest.mark.parametrize("name", ["محمد بن عبد الله الأحمد", "דוד בן יוסף כהן"])
def test_a_right_to_left_name_reads_back_in_reading_order(name) -> None:
    assert (
        f"Signed by {name} today."
        in pypdf.PdfReader(io.BytesIO(drawn(f"Signed by {name} today."))).pages[0].extract_text()
    )
