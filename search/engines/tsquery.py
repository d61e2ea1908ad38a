"""Rewriting a parsed tsquery (its text form) before it is matched.

PostgreSQL parses the visitor's words (``websearch_to_tsquery``); these
functions only change the parsed form, token by token, so no input can become a
syntax error:

- ``with_pairs``: a phrase of plain words (``'safe' <-> 'sleep'``) becomes the
  pair lexeme ``cdr_vector()`` stores for adjacent words (``'safe sleep'``), a
  plain index lookup. Longer phrases keep their exact position check but also
  require every pair, so the check runs only on entries that hold the pairs.
- ``with_prefixes``: every word also matches longer words that start with it
  (``'safe':*`` finds "safer").
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"\s*(?:(?P<lexeme>'(?:[^'\\]|''|\\.)*')(?P<suffix>:[*A-D]+)?"
    r"|(?P<op><->|<\d+>|[&|!()]))"
)


def tokens(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs: kind is "lexeme" (with any ``:*``/weight suffix
    in the text) or "op"."""
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:  # not PostgreSQL's output: leave the query alone
            raise ValueError(f"unexpected tsquery text at {position}: {text!r}")
        if found["lexeme"]:
            out.append(("lexeme", found["lexeme"] + (found["suffix"] or "")))
        else:
            out.append(("op", found["op"]))
        position = found.end()
    return out


def _plain(token: tuple[str, str]) -> bool:
    kind, text = token
    return kind == "lexeme" and text.endswith("'")


def _unquote(lexeme: str) -> str:
    return lexeme[1:-1]  # keeps the escaping, which a pair lexeme reuses as is


def with_pairs(text: str) -> str:
    """The tsquery text with each phrase of plain words matched through pairs."""
    try:
        parts = tokens(text)
    except ValueError:
        return text
    out: list[str] = []
    i = 0
    while i < len(parts):
        run_end = i
        # A run: lexeme (<-> lexeme)+, all plain, not next to another phrase
        # operator and not negated word by word ("!'a' <-> 'b'").
        while (
            _plain(parts[run_end])
            and run_end + 2 < len(parts)
            and parts[run_end + 1] == ("op", "<->")
            and _plain(parts[run_end + 2])
        ):
            run_end += 2
        before = parts[i - 1][1] if i else ""
        after = parts[run_end + 1][1] if run_end + 1 < len(parts) else ""
        isolated = before not in ("!", "<->") and not re.fullmatch(r"<\d+>", before)
        isolated = isolated and after != "<->" and not re.fullmatch(r"<\d+>", after)
        if run_end > i and isolated:
            words = [_unquote(parts[k][1]) for k in range(i, run_end + 1, 2)]
            pairs = [f"'{a} {b}'" for a, b in zip(words, words[1:], strict=False)]
            if len(words) == 2:
                out.append(pairs[0])
            else:
                phrase = " <-> ".join(parts[k][1] for k in range(i, run_end + 1, 2))
                out.append("( " + " & ".join([*pairs, f"( {phrase} )"]) + " )")
            i = run_end + 1
            continue
        out.append(parts[i][1])
        i += 1
    return " ".join(out)


def with_prefixes(text: str) -> str:
    """The tsquery text with every plain word matching as a prefix."""
    try:
        parts = tokens(text)
    except ValueError:
        return text
    return " ".join(
        f"{value}:*" if _plain((kind, value)) else value for kind, value in parts
    )
