"""Report and matching shapes (docs/api.md §3.4, §3.5, §3.7) for the OpenAPI document: the create bodies and the strict
resources the official TypeScript SDK validates (`Strict`: no key docs/api.md does not list)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from conduit_server.api.schemas import Binned, NonEmpty, Open, Strict, TargetSelector, Timestamp, Webhook, omitted

Template = Literal["general_report", "sales_playbook"]
SubjectId = Annotated[str, Field(min_length=1, max_length=256)]
ShortLabel = Annotated[str, Field(min_length=1, max_length=64)]


# -- report create body (3.4) ----------------------------------------------------------------------------------
class MediaRef(BaseModel):
    mediaId: SubjectId


class TemplateParams(BaseModel):
    roleTitle: str = omitted(max_length=2000)
    roleDescription: str = omitted(max_length=2000)
    companyCulture: str = omitted(max_length=2000)


class ReportOutputRequest(Strict):
    template: Template
    templateParams: TemplateParams = omitted()


class ReportJobCreate(BaseModel):
    media: MediaRef
    output: ReportOutputRequest
    target: TargetSelector
    webhook: Webhook | None = omitted()
    language: Literal["en", "es", "pt"] | None = omitted(description="Default `en`")
    label: ShortLabel | None = omitted()
    entityLabel: ShortLabel | None = omitted()
    idempotencyKey: str = omitted(description="Used when no Idempotency-Key header is sent; must match it if both are")


# -- report resource (3.4): strict at every level --------------------------------------------------------------
class ReportEntity(Strict):
    id: str
    label: str | None


class ReportMedia(Strict):
    mediaId: str = omitted()
    url: str = omitted()


class ReportOutput(Strict):
    template: Template


class Provenance(Strict):
    behaviorMapId: str
    baselineSampleIds: list[str] = Field(min_length=1)


class TraitsSection(Strict):
    kind: Literal["traits"]
    key: Literal["dominating_traits"]
    title: NonEmpty
    body: NonEmpty
    phrases: list[NonEmpty] = Field(min_length=3, max_length=3)


class ParagraphSection(Strict):
    kind: Literal["paragraph"]
    key: NonEmpty
    title: NonEmpty
    body: NonEmpty


class ActionItem(Strict):
    title: NonEmpty
    context: NonEmpty


class ActionsSection(Strict):
    kind: Literal["actions"]
    key: NonEmpty
    title: NonEmpty
    items: list[ActionItem] = Field(min_length=1)


class PromptMeta(Strict):
    name: NonEmpty
    version: int = Field(gt=0)
    labels: list[str]


class RenderMeta(Strict):
    provider: Literal["openai", "anthropic"]
    model: NonEmpty
    attempts: int = Field(gt=0)


class ReportMeta(Strict):
    prompt: PromptMeta
    render: RenderMeta


ReportSection = Annotated[TraitsSection | ParagraphSection | ActionsSection, Field(discriminator="kind")]


class ReportJson(Strict):
    schemaVersion: Literal[2]
    template: Template
    title: NonEmpty
    summary: NonEmpty
    sections: list[ReportSection] = Field(min_length=1)
    meta: ReportMeta


class Report(Strict):
    id: str
    createdAt: Timestamp
    jobId: str = omitted()
    label: str = omitted()
    entity: ReportEntity = omitted()
    media: ReportMedia
    output: ReportOutput
    markdown: str | None
    json_: ReportJson | None = Field(alias="json")
    provenance: Provenance = omitted()


# -- report evidence (3.7, ext, open) --------------------------------------------------------------------------
class EvidenceSpan(Open):
    startSeconds: float
    endSeconds: float
    text: str
    note: str


class EvidenceIndicator(Open):
    key: str
    normalized: float
    binned: Binned
    raw: float
    unit: str
    evidence: list[EvidenceSpan]


class Claim(Open):
    sectionKey: str
    text: str
    indicatorKeys: list[str] = Field(min_length=1)


class ReportEvidence(Open):
    reportId: str
    jobId: str
    mediaId: str
    entityId: str | None
    speakerIndex: int
    behaviorMapId: str | None
    metrics: dict[str, float]
    indicators: list[EvidenceIndicator]
    claims: list[Claim]


# -- matching (3.5) --------------------------------------------------------------------------------------------
class EntitySubject(BaseModel):
    type: Literal["entity_id"]
    entityId: SubjectId


class MediaSubject(BaseModel):
    type: Literal["media_target"]
    mediaId: SubjectId
    selector: TargetSelector


Subject = Annotated[EntitySubject | MediaSubject, Field(discriminator="type")]


class MatchingJobCreate(BaseModel):
    context: Literal["behavioral_compatibility"]
    target: Subject
    group: list[Subject] = Field(min_length=1)
    webhook: Webhook | None = omitted()
    label: ShortLabel | None = omitted()
    idempotencyKey: str = omitted(description="Used when no Idempotency-Key header is sent; must match it if both are")


class ResolvedSubject(Strict):
    source: dict[str, Any] = Field(description="The request's subject reference, normalised")
    entityId: str = omitted()
    resolvedLabel: str | None = omitted()


class Card(Strict):
    type: Literal["card"]
    title: str
    content: str
    icon: str


class Text(Strict):
    type: Literal["text"]
    content: str
    title: str = omitted()


class Grid(Strict):
    type: Literal["grid"]
    columns: Literal[2, 3, 4]
    items: list[Card]


class Illustration(Strict):
    type: Literal["illustration"]
    variant: Literal["conversation", "growth", "connection", "analysis"]


Content = Annotated[Card | Text | Grid | Illustration, Field(discriminator="type")]


class MatchingSection(Strict):
    section_title: str
    section_content: Content | list[Content]


class MatchingJson(Strict):
    schemaVersion: Literal[1]
    title: str
    summary: str
    sections: list[MatchingSection] = Field(min_length=1)


class MatchingOutput(Strict):
    template: Literal["matching"]


class Matching(Strict):
    id: str
    createdAt: Timestamp
    jobId: str = omitted()
    label: str = omitted()
    context: Literal["behavioral_compatibility"]
    target: ResolvedSubject
    group: list[ResolvedSubject]
    output: MatchingOutput
    markdown: str | None
    json_: MatchingJson | None = Field(alias="json")
