"""One neutral message model for every platform.

Handlers describe *what* to say as a `Card`; each platform adapter decides *how* (Block Kit,
Adaptive Card, console text). Keeping the model small is deliberate: anything a handler cannot
express here is a sign the model needs a field, not that the handler needs platform JSON.
"""

from __future__ import annotations

import base64
import secrets
import string
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar, Literal

from bot.infra.i18n import _


@dataclass(frozen=True, slots=True)
class CommandStyle:
    """How a person types Respite's commands on a platform, for every hint the bot shows.

    `own` goes before a command of its own (`/` makes `/kudos`); `umbrella` goes before a word of
    the umbrella command (`/respite ` makes `/respite breaks status`). A platform without slash
    commands leaves both empty, and people send the bare word.
    """

    own: str
    umbrella: str


SLASH_COMMANDS = CommandStyle(own="/", umbrella="/respite ")
BARE_WORDS = CommandStyle(own="", umbrella="")


@dataclass(frozen=True, slots=True)
class PlatformTraits:
    """What the domain and storage may know of a platform without importing its adapter."""

    style: CommandStyle = SLASH_COMMANDS
    # A random person id shaped like the one it replaces (for pseudonymised stand-ins).
    stand_in_id: Callable[[str], str] = field(default=lambda replaced: _shaped_like(replaced))
    # Whether an admin may name it in a roster's `platform:` (the console serves the demo only).
    offered: bool = True


_SLACK_ID_ALPHABET = string.ascii_uppercase + string.digits


def _slack_like_id(replaced: str) -> str:
    """A random Slack-style id with the replaced id's first letter and length.

    Ids start with "U", or "W" in an Enterprise Grid org, then carry upper-case letters and
    digits; a stand-in that kept "U" among "W"s, or another length, would stand out.
    """
    shaped = len(replaced) > 1 and all(c in _SLACK_ID_ALPHABET for c in replaced)
    first, length = (replaced[0], len(replaced)) if shaped else ("U", 11)
    return first + "".join(secrets.choice(_SLACK_ID_ALPHABET) for _ in range(length - 1))


def _guid_like_id(replaced: str) -> str:
    """A random GUID (an Entra object id) in the replaced id's letter case, or, for a person
    known only by a channel id ("29:..."), an id of that shape."""
    try:
        uuid.UUID(replaced)
    except ValueError:
        return _shaped_like(replaced)
    guid = str(uuid.uuid4())
    return guid.upper() if replaced.isupper() else guid


def _shaped_like(replaced: str) -> str:
    """A random id of the replaced id's shape: its prefix (the first character, or everything up
    to a colon) kept, every other letter or digit replaced by a random one of its kind."""
    if not replaced:
        return _slack_like_id(replaced)
    cut = replaced.index(":") + 1 if ":" in replaced else 1
    kinds = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    return replaced[:cut] + "".join(
        next((secrets.choice(k) for k in kinds if c in k), c) for c in replaced[cut:]
    )


class _PlatformKind(type):
    """Lets `for p in Platform` list the defined platforms, as it did when Platform was an enum."""

    def __iter__(cls) -> Iterator[Platform]:
        return iter(list(_DEFINED.values()))

    def __len__(cls) -> int:
        return len(_DEFINED)


class Platform(str, metaclass=_PlatformKind):
    """A chat platform's name: the text stored in every row ("slack", "teams", ...).

    It is an open value rather than an enum, so a platform package outside the domain defines its
    own (`Platform.define("mattermost", ...)`) and every layer carries it unchanged. A name read
    back from the database or a roster comes out as the defined value, with its traits.
    """

    __slots__ = ()

    SLACK: ClassVar[Platform]
    TEAMS: ClassVar[Platform]
    CONSOLE: ClassVar[Platform]

    def __new__(cls, value: str) -> Platform:
        known = _DEFINED.get(str(value))
        if known is not None:
            return known
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"Platform({str(self)!r})"

    @property
    def value(self) -> str:
        """The stored text; kept so code written for the enum reads the same."""
        return str(self)

    @property
    def traits(self) -> PlatformTraits:
        return _TRAITS.get(str(self), PlatformTraits())

    @property
    def style(self) -> CommandStyle:
        return self.traits.style

    @classmethod
    def define(cls, name: str, traits: PlatformTraits | None = None) -> Platform:
        """Make a platform known by name, with how its commands are typed; defining it again
        replaces its traits and keeps the same value."""
        platform = _DEFINED.get(name) or str.__new__(cls, name)
        _DEFINED[name] = platform
        _TRAITS[name] = traits or PlatformTraits()
        return platform

    @classmethod
    def forget(cls, name: str) -> None:
        """Undefine a platform (a test's own platform, when the test ends)."""
        _DEFINED.pop(name, None)
        _TRAITS.pop(name, None)

    @classmethod
    def offered(cls) -> tuple[Platform, ...]:
        """The platforms an admin may name in a roster, in the order they were defined."""
        return tuple(p for p in _DEFINED.values() if _TRAITS[str(p)].offered)


_DEFINED: dict[str, Platform] = {}
_TRAITS: dict[str, PlatformTraits] = {}

Platform.SLACK = Platform.define(
    "slack", PlatformTraits(style=SLASH_COMMANDS, stand_in_id=_slack_like_id)
)
# Teams has no slash commands, and names people by Entra object ids (GUIDs).
Platform.TEAMS = Platform.define(
    "teams", PlatformTraits(style=BARE_WORDS, stand_in_id=_guid_like_id)
)
Platform.CONSOLE = Platform.define("console", PlatformTraits(offered=False))


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a message goes: a person (direct message) or a channel."""

    platform: Platform
    user_id: str | None = None
    channel_id: str | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.channel_id is None):
            raise ValueError("a recipient is either a user or a channel")

    @property
    def key(self) -> str:
        """A stable text key, used to make outbox rows unique per recipient."""
        target = f"u:{self.user_id}" if self.user_id else f"c:{self.channel_id}"
        return f"{self.platform.value}:{target}"


@dataclass(frozen=True, slots=True)
class Mention:
    """A mention of a person, built by the bot from a resolved user id (never from user text)."""

    user_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Text with mentions. Text parts are shown literally on every platform: no markup, no links."""

    parts: tuple[str | Mention, ...]

    @property
    def plain(self) -> str:
        return "".join(p if isinstance(p, str) else f"@{p.name or p.user_id}" for p in self.parts)


Block = str | Paragraph


def plain(block: Block) -> str:
    return block if isinstance(block, str) else block.plain


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """A single-choice question; rendered as radio buttons (Slack) or a ChoiceSet (Teams)."""

    id: str
    prompt: str
    choices: tuple[Choice, ...]
    required: bool = True


@dataclass(frozen=True, slots=True)
class TextInput:
    """A free-text input (kudos message, settings)."""

    id: str
    label: str
    placeholder: str = ""
    max_length: int = 500
    multiline: bool = False
    required: bool = True


@dataclass(frozen=True, slots=True)
class UserPicker:
    """Choose people from the workspace: Slack users select, a Teams people picker.

    The platform resolves the choice to user ids, so a picked person can be mentioned safely.
    Values arrive in a `FormSubmission` as user ids separated by spaces.
    """

    id: str
    label: str
    multiple: bool = True
    max_selected: int = 10
    required: bool = True
    # Shown beside a picker that finds people as they type (Teams, for a large team), for a
    # client that cannot search there: another way to name people. Slack's picker always can.
    search_hint: str = ""


@dataclass(frozen=True, slots=True)
class Button:
    """A button with a stable action id that handlers route on."""

    action_id: str
    label: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image carried inline (PNG bytes) with the alt text every platform must show."""

    png: bytes
    alt_text: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Form:
    """Makes a card submittable: `form_id` routes the submission, `context` travels with it."""

    form_id: str
    submit_label: str
    context: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    blocks: tuple[Block, ...] = ()
    fields: tuple[Field, ...] = ()
    questions: tuple[Question, ...] = ()
    inputs: tuple[TextInput, ...] = ()
    buttons: tuple[Button, ...] = ()
    form: Form | None = None
    note: str | None = None
    image: Image | None = None
    # Shown before the questions and inputs of a form.
    pickers: tuple[UserPicker, ...] = ()

    @property
    def fallback(self) -> str:
        """Plain text for notifications, screen readers and the console."""
        return self.fallback_as(str, lambda m: f"@{m.name or m.user_id}")

    def fallback_as(self, text: Callable[[str], str], mention: Callable[[Mention], str]) -> str:
        """The fallback, with a platform's own way of writing text and mentions.

        `text` is applied to every piece of the card's text (a platform escapes it there), and
        `mention` writes each `Mention`; nothing else reaches the result.
        """

        def written(block: Block) -> str:
            if isinstance(block, str):
                return text(block)
            return "".join(text(p) if isinstance(p, str) else mention(p) for p in block.parts)

        lines = [text(self.title)]
        lines.extend(written(b) for b in self.blocks)
        lines.extend(text(f"{f.label}: {f.value}") for f in self.fields)
        for q in self.questions:
            lines.append(text(q.prompt))
        if self.image is not None:
            lines.append(text(f"[📈 {self.image.alt_text}]"))
        if self.note:
            lines.append(text(self.note))
        return "\n".join(line for line in lines if line)


def text_card(title: str, *blocks: str, note: str | None = None) -> Card:
    return Card(title=title, blocks=tuple(blocks), note=note)


def card_to_dict(card: Card) -> dict[str, Any]:
    """A JSON-safe form of a card, for the outbox."""
    data = asdict(card)
    if card.image is not None:
        data["image"]["png"] = base64.b64encode(card.image.png).decode("ascii")
    return data


def _block_from(data: Any) -> Block:
    if isinstance(data, str):
        return data
    return Paragraph(tuple(p if isinstance(p, str) else Mention(**p) for p in data["parts"]))


def card_from_dict(data: Mapping[str, Any]) -> Card:
    image = data.get("image")
    form = data.get("form")
    return Card(
        title=data["title"],
        blocks=tuple(_block_from(b) for b in data.get("blocks", ())),
        fields=tuple(Field(**f) for f in data.get("fields", ())),
        questions=tuple(
            Question(
                id=q["id"],
                prompt=q["prompt"],
                choices=tuple(Choice(**c) for c in q["choices"]),
                required=q.get("required", True),
            )
            for q in data.get("questions", ())
        ),
        inputs=tuple(TextInput(**i) for i in data.get("inputs", ())),
        buttons=tuple(Button(**b) for b in data.get("buttons", ())),
        form=Form(**form) if form else None,
        note=data.get("note"),
        pickers=tuple(UserPicker(**p) for p in data.get("pickers", ())),
        image=(
            Image(
                png=base64.b64decode(image["png"]),
                alt_text=image["alt_text"],
                title=image.get("title", ""),
            )
            if image
            else None
        ),
    )


def translated(card: Card) -> Card:
    """A card whose texts are marked constants (`N_`), in the current language.

    For the few cards a module keeps ready (an apology, say): they are defined once, in English,
    and translated each time they are shown, inside the reader's `use_locale`.
    """
    return replace(
        card,
        title=_(card.title) if card.title else card.title,
        blocks=tuple(_(b) if isinstance(b, str) and b else b for b in card.blocks),
        note=_(card.note) if card.note else card.note,
    )
