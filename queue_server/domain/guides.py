"""A matter's service guide (办事指南): what a citizen should know before taking a ticket.

The policy asks the hall to tell everything once (一次性告知): the legal basis, the time limits,
the procedure, the fees, every material with its form and number of copies, and where the result
is collected. A guide is part of the centre's configuration, one per matter; a matter without one
says so on screen rather than showing placeholder text.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from queue_server.domain.frozen_model import Model


class MaterialForm(StrEnum):
    """In what form a material is handed in."""

    ORIGINAL = "original"
    """原件 (seen and handed back)"""
    COPY = "copy"
    """复印件"""
    ORIGINAL_AND_COPY = "original_and_copy"
    """原件及复印件"""
    FORM = "form"
    """a form to fill in (申请表), given at the window"""
    ELECTRONIC = "electronic"
    """an electronic licence or record the window looks up (电子证照), nothing to bring"""


MATERIAL_FORM_NAMES_ZH: dict[MaterialForm, str] = {
    MaterialForm.ORIGINAL: "原件",
    MaterialForm.COPY: "复印件",
    MaterialForm.ORIGINAL_AND_COPY: "原件及复印件",
    MaterialForm.FORM: "现场填写",
    MaterialForm.ELECTRONIC: "电子证照，无需提交",
}
MATERIAL_FORM_NAMES_EN: dict[MaterialForm, str] = {
    MaterialForm.ORIGINAL: "original",
    MaterialForm.COPY: "copy",
    MaterialForm.ORIGINAL_AND_COPY: "original and copy",
    MaterialForm.FORM: "filled in at the window",
    MaterialForm.ELECTRONIC: "electronic record, nothing to bring",
}


class GuideMaterial(Model):
    """One application material as the guide lists it."""

    name: str = Field(min_length=1, max_length=120)
    """As the matter's ``materials`` name it: a case sent back names the missing ones by these."""
    form: MaterialForm = MaterialForm.ORIGINAL
    copies: int = Field(default=1, ge=0, le=20)
    """How many (0 for a material only shown)."""
    note: str = Field(default="", max_length=200)
    """When it is needed, or what to check (e.g. 换领时提供)."""


class Guide(Model):
    """A matter's service guide (办事指南), as the centre publishes it."""

    legal_basis: tuple[str, ...] = Field(min_length=1)
    """The laws and rules the matter rests on (设定依据), one per line."""
    time_limit: str = Field(min_length=1, max_length=200)
    """The statutory time limit (法定时限) as the law words it; the promised one is the matter's."""
    procedure: tuple[str, ...] = Field(min_length=1)
    """The steps from the ticket to the result (办理流程), one per line."""
    fees: str = Field(default="不收费", min_length=1, max_length=300)
    materials: tuple[GuideMaterial, ...] = Field(min_length=1)
    result: str = Field(min_length=1, max_length=120)
    """What the citizen receives (办理结果), e.g. 居民身份证."""
    collection: str = Field(min_length=1, max_length=300)
    """Where and how the result is collected (领取方式): at a window, by post."""
    source: str = Field(min_length=1, max_length=300)
    """Where the guide comes from (the published 办事指南 it follows), shown with it."""
