"""The command line's help (``accord --help``, ``accord <group> --help``) in the terminal's
language.

Typer takes a command's help from its docstring and an option's from ``help="..."``, both
read when the module is imported, in English: they stay the one source, and the catalogs
hold them as they are (:func:`extract`, a Babel extractor named in ``babel.cfg``, reads the
docstrings of the functions a ``.command()`` or ``.callback()`` decorates, every literal
``help=`` of the command modules, and the summaries of ``cli.main.COMMANDS``, which are the
docstrings of the commands that are plain functions). Each command is built into click's
tree when it runs (``cli.main.load``, per invocation), and :func:`translate` then puts the
reader's sentences in place of the English ones. A message id is the text as the help
shows it: each paragraph on one line, paragraphs apart by a blank line (:func:`source`), so
a docstring rewrapped in the code keeps its translation.

Typer's own words ("Usage:", the "Options" panel, "Show this message and exit.", its usage
errors) are said by ``cli.typer_words``.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import IO, Any

# The decorators that make a function's docstring its command's help.
_DECORATORS = frozenset({"command", "callback"})


def source(text: str) -> str:
    """The message id of a help text: dedented, each paragraph on one line."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def said(text: str | None, gettext: Callable[[str], str]) -> str | None:
    """``text`` in the catalog's language; as it was where the catalog has no sentence for it
    (English keeps the help exactly as written)."""
    if not text:
        return text
    msgid = source(text)
    translated = gettext(msgid)
    return text if translated == msgid else translated


def translate(command: Any, gettext: Callable[[str], str]) -> None:
    """Put ``gettext``'s sentences in place of the help of ``command``, its options and
    arguments, and of every command under it (a group's)."""
    command.help = said(command.help, gettext)
    command.short_help = said(command.short_help, gettext)
    for param in getattr(command, "params", ()):
        if hasattr(param, "help"):
            param.help = said(param.help, gettext)
    for sub in getattr(command, "commands", {}).values():
        translate(sub, gettext)


def _summaries(node: ast.AST) -> Iterator[tuple[int, str]]:
    """The one-line summaries of ``cli.main.COMMANDS`` (name: (module, attribute, summary)),
    which are also the help of the commands that are plain functions (``accord demo``)."""
    if not isinstance(node, ast.AnnAssign | ast.Assign) or not isinstance(node.value, ast.Dict):
        return
    targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
    if not any(isinstance(t, ast.Name) and t.id == "COMMANDS" for t in targets):
        return
    for value in node.value.values:
        if isinstance(value, ast.Tuple) and len(value.elts) == 3:
            summary = value.elts[2]
            if isinstance(summary, ast.Constant) and isinstance(summary.value, str):
                yield summary.lineno, source(summary.value)


def _help_texts(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, message id) of each help text the module's commands give."""
    for node in ast.walk(tree):
        yield from _summaries(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            decorated = any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in _DECORATORS
                for d in node.decorator_list
            )
            doc = ast.get_docstring(node, clean=True)
            if decorated and doc:
                yield node.lineno, source(doc)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "help"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    yield value.lineno, source(value.value)


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[Any, ...]]:
    """Babel's extractor of a command module: its gettext calls (as the ``python`` method
    finds them), then its help texts, noted so a translator knows where they show."""
    from babel.messages.extract import extract_python  # pybabel's, not the command line's

    # (line, function, message, comments) at run time, whatever Babel's annotation says
    yield from extract_python(fileobj, keywords, comment_tags, options)  # type: ignore[arg-type]
    fileobj.seek(0)
    encoding = str(options.get("encoding", "utf-8"))
    tree = ast.parse(fileobj.read().decode(encoding))
    for line, message in _help_texts(tree):
        yield line, None, message, ["command-line help"]
