"""Who is in a story of each genre, and how people are named and described."""

from __future__ import annotations

# role key -> (role description, want, wardrobe, trait, voice description)
CASTS: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "race": [
        ("hero", "{hero}", "to {goal} before it is too late", "rain-dark jacket", "stubborn", "quick, clipped, a little breathless"),
        ("elder", "the old keeper who knows the way", "to see the work finished in their lifetime", "cardigan and reading glasses", "patient", "low, slow and warm"),
        ("voice", "the dispatcher on the radio", "to bring everyone home", "headset and tired eyes", "by-the-book", "crisp and flat, over static"),
        ("rival", "the official who wants everyone to turn back", "to stop anyone taking the risk", "hi-vis coat", "cautious", "firm and measured"),
    ],
    "mystery": [
        ("hero", "{hero}", "to learn {goal}", "long coat with too many pockets", "observant", "quiet and precise"),
        ("witness", "the neighbour who saw more than they say", "to stay out of it", "apron dusted with flour", "nervous", "fast and high, trailing off"),
        ("suspect", "the partner with a motive", "to keep a secret buried", "pressed suit, loosened tie", "charming", "smooth and deep"),
        ("elder", "the archivist who remembers everything", "to be asked the right question", "cardigan and ink-stained fingers", "dry", "slow and gravelly"),
    ],
    "heart": [
        ("hero", "{hero}", "to {goal}", "a jumper worn at the elbows", "hopeful", "soft and bright"),
        ("beloved", "the one who got away", "to be sure this time", "paint-spattered overalls", "guarded", "warm and low"),
        ("ally", "the best friend with opinions", "to see the hero happy, loudly", "bright scarf", "blunt", "quick and amused"),
    ],
    "comedy": [
        ("hero", "{hero}", "to {goal} without anyone noticing", "a uniform one size too big", "over-eager", "fast, rising when nervous"),
        ("boss", "the boss who notices everything", "one normal day", "immaculate blazer", "exasperated", "clipped and dry"),
        ("ally", "the sidekick who makes it worse", "to help, enthusiastically", "a novelty T-shirt", "cheerful", "loud and bouncy"),
        ("judge", "the judge with no sense of humour", "order", "black robe and half-moon glasses", "severe", "deep and slow"),
    ],
    "wonder": [
        ("hero", "{hero}", "to {goal}", "patched flight suit", "curious", "light and wondering"),
        ("companion", "the machine that learned to worry", "to keep the hero alive", "brushed-steel shell, one blue eye", "literal", "even and metallic"),
        ("commander", "the commander counting the cost", "to bring the mission home", "pressed uniform", "weary", "low and commanding"),
    ],
    "family": [
        ("hero", "{hero}", "to {goal}", "a coat borrowed from someone they miss", "restless", "measured, with sudden warmth"),
        ("sibling", "the sibling who stayed", "to be thanked, just once", "work boots and a faded cap", "sharp-tongued", "quick and dry"),
        ("elder", "the grandparent with the old stories", "to pass something on", "wool cardigan", "mischievous", "slow, crackling, amused"),
        ("neighbour", "the neighbour who keeps watch", "to be part of the family", "gardening gloves", "kind", "bright and chatty"),
    ],
}

FIRST_NAMES = [
    "Mira", "Tomas", "Ines", "Kofi", "Yuki", "Anselm", "Priya", "Dmitri", "Leila", "Oren", "Sade", "Jonah",
    "Marisol", "Ewan", "Noor", "Bastian", "Ada", "Rafael", "Hana", "Idris", "Greta", "Teo", "Zora", "Emeka",
    "Linnea", "Caspar", "Amara", "Felix", "Rosa", "Kenji", "Oona", "Malik", "Vera", "Lucas", "Ilse", "Tariq",
]
LAST_NAMES = [
    "Okafor", "Reyes", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Novak", "Achebe", "Castillo", "Brennan",
    "Kowalski", "Silva", "Nakamura", "Ferreira", "Osei", "Holm", "Marchetti", "Adeyemi", "Varga", "Quinn",
]
AGES = ["20s", "30s", "40s", "50s", "60s", "70s"]
ROLE_AGES = {"elder": (4, 5), "hero": (0, 3), "sibling": (1, 3), "commander": (2, 4), "judge": (3, 5)}
