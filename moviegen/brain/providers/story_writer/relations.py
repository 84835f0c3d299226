"""How the second character stands to the hero, read from the verbs that join them.

A relation has a kind ('teach': the hero teaches them; 'learn': they teach the hero; 'hunted': they hunt
the hero) and a side: an ally the story must never turn into the threat, or the threat itself. The same
verb means opposite things by direction — a hero who rescues someone and a hero rescued by someone both
have an ally; a hero who hunts and a hero who is hunted both face a threat — so the premise reader looks
the verb up in the table for its direction.
"""

from __future__ import annotations

ALLY, THREAT = "ally", "threat"
SIDES = {
    "teach": ALLY, "learn": ALLY, "rescue": ALLY, "rescued": ALLY, "protect": ALLY, "befriend": ALLY,
    "love": ALLY, "search": ALLY, "company": ALLY, "memory": ALLY, "wronged": ALLY,
    "oppose": THREAT, "hunted": THREAT, "betrayed": THREAT, "race": THREAT,
}  # fmt: skip


def _table(rows: dict[str, str]) -> dict[str, str]:
    return {verb: kind for kind, verbs in rows.items() for verb in verbs.split()}


# the hero does this to them
HERO_VERBS = _table(
    {
        "teach": "teach train coach tutor mentor",
        "rescue": "rescue save free dig pull evacuate warn heal cure",
        "protect": "protect guard shelter hide carry escort lead guide get defend feed nurse keep bring care raise",
        "befriend": "befriend help tame meet adopt join visit trust forgive reunite unite",
        "love": "love fall marry court kiss date",
        "search": "search find seek look investigate",
        "oppose": "hunt stop catch chase pursue expose fight confront take defeat battle outwit arrest kill "
        "blackmail frame sue challenge outsmart trap capture track",
        "race": "race compete beat outrun",
        "hunted": "escape flee",
        "wronged": "betray abandon cheat rob deceive",
    }
)
# they do this to the hero (or the hero suffers it: 'hunted by', 'rescued by')
OTHER_VERBS = _table(
    {
        "hunted": "hunt chase pursue stalk track follow haunt hound attack threaten kidnap trap capture arrest",
        "betrayed": "betray frame blackmail ruin cheat rob abandon deceive sabotage poison sue blame accuse fire sell",
        "learn": "teach train mentor coach tutor",
        "rescued": "rescue save help raise shelter protect adopt find free hide",
        "befriend": "befriend",
        "love": "love marry",
        "race": "race challenge",
    }
)
# what the hero wants when the premise names no goal but the relation
GOALS = {
    "hunted": "escape {other}",
    "betrayed": "make {other} pay",
    "rescued": "survive",
    "learn": "learn everything {other} can teach",
}

# kind -> (role, want, trait, wardrobe); {hero} is the hero's first name, {other} the premise's phrase
ROLES: dict[str, tuple[str, str, str, str]] = {
    "teach": ("{other}, whom {hero} teaches", "to learn fast enough to matter", "eager", "hand-me-down clothes"),
    "learn": ("{other}, who teaches {hero}", "to pass on what they know before it is lost", "exacting", "a worn coat"),
    "rescue": ("{other}, whom {hero} must save", "to get out alive", "frightened", "clothes torn and soaked"),
    "rescued": ("{other}, who comes to {hero}'s rescue", "to bring {hero} home", "steadfast", "sturdy boots"),
    "protect": (
        "{other}, in {hero}'s care",
        "to be safe, and to trust someone",
        "wary",
        "a blanket round the shoulders",
    ),
    "befriend": ("{other}, {hero}'s unlikely friend", "to be trusted", "shy", "weathered and patched"),
    "love": ("{other}, the one {hero} falls for", "to be sure this time", "guarded", "paint-flecked sleeves"),
    "search": ("{other}, whom {hero} searches for", "to be found", "elusive", "last seen in a grey coat"),
    "company": ("{other}, at {hero}'s side", "to be of use", "quiet", "plain travelling clothes"),
    "wronged": ("{other}, whom {hero} wronged", "to hear {hero} admit it", "hurt", "the same coat as ever"),
    "memory": ("{other}, whom {hero} cannot let go", "to be remembered rightly", "gentle", "as {hero} remembers them"),
    "oppose": ("{other}, who stands against {hero}", "to stop {hero} at any cost", "ruthless", "a pressed dark suit"),
    "hunted": ("{other}, who hunts {hero}", "to catch {hero}", "relentless", "a long dark coat"),
    "betrayed": ("{other}, who betrays {hero}", "to betray {hero} and keep the {prize}", "smiling", "a good watch"),
    "race": ("{other}, {hero}'s rival", "to beat {hero} to it", "proud", "the best gear money can buy"),
}
