"""What one render produces: everything that is stored on a revision."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """An error or warning, located in the note's source (1-based line and column).

    For math, `formula_pos` is the 0-based offset inside the formula where KaTeX stopped.
    """

    line: int
    col: int
    message: str
    formula_pos: int | None = None

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"

    def as_dict(self) -> dict:
        data = {"line": self.line, "col": self.col, "message": self.message}
        if self.formula_pos is not None:
            data["formula_pos"] = self.formula_pos
        return data


@dataclass
class TocEntry:
    level: int
    id: str
    html: str
    text: str


@dataclass
class DerivationData:
    key: str
    title: str
    position: int
    statement_html: str
    steps: list[dict]  # [{"n": 1, "id": "key-step-1", "source": "...", "html": "..."}]
    result_html: str
    source: str
    fingerprint: str
    line: int


@dataclass
class EquationData:
    label: str
    number: int
    tex: str
    html: str
    position: int
    line: int


@dataclass
class LinkData:
    target_slug: str
    anchor: str
    text: str
    line: int
    context_html: str = ""  # the sentence around the link, the link itself marked


@dataclass
class FigureData:
    key: str
    number: int
    data: object  # what the figure function returned, validated: stored with the revision
    line: int


@dataclass
class RenderResult:
    html: str = ""
    title: str = ""
    slug: str = ""
    summary: str = ""  # the front matter's source
    summary_html: str = ""  # typeset and sanitized (notes.rendering.summary)
    summary_text: str = ""  # plain, formulas as readable text: meta descriptions, feeds, tooltips
    # Searchable blocks as plain text, each formula a placeholder (notes.rendering.fragments),
    # and each placeholder's typeset HTML: search snippets are cut from these, never from source.
    search_text: str = ""
    search_formulas: list[str] = field(default_factory=list)
    # What a search result can land on: sections, derivations, labelled equations, each with its
    # anchor and the numbers of its lines in search_text (notes.rendering.fragments).
    search_units: list[dict] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    front_matter: dict = field(default_factory=dict)
    toc: list[TocEntry] = field(default_factory=list)
    plain_text: str = ""
    anchors: dict[str, str] = field(default_factory=dict)
    derivations: list[DerivationData] = field(default_factory=list)
    equations: list[EquationData] = field(default_factory=list)
    links: list[LinkData] = field(default_factory=list)
    figures: list[FigureData] = field(default_factory=list)  # only those drawn (notes.rendering.figures)
    prerequisites: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    word_count: int = 0
    # Formulas the engine could not typeset (time, memory): also among `errors`, counted apart
    # because a busy machine can cause them, not the note (a background re-render retries).
    engine_failures: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors
