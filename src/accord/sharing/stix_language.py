"""The form of a language tag STIX 2.1 accepts (section 3.2, ``lang``): RFC 5646's."""

from __future__ import annotations

import re

# A well-formed language tag (RFC 5646, section 2.1; case does not matter): language (with
# extended subtags), script, region, variants, extensions, private use; or private use alone,
# or one of the irregular grandfathered tags (the regular ones are well-formed as they are).
LANGUAGE_TAG = re.compile(
    r"""(?:
        (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})
        (?:-[a-z]{4})?
        (?:-(?:[a-z]{2}|[0-9]{3}))?
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*
        (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*
        (?:-x(?:-[a-z0-9]{1,8})+)?
      | x(?:-[a-z0-9]{1,8})+
      | en-gb-oed | i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)
      | sgn-(?:be-fr|be-nl|ch-de)
    )\Z""",
    re.IGNORECASE | re.ASCII | re.VERBOSE,
)
