"""Scene banks: for each genre, its own places and its own beat structure.

A scene is (outline beat, place index, time of day, who is there, action
paragraphs, dialogue lines). Slots: {hero} {elder} ... are first names by role,
{goal} {obstacle} {prize} {place} come from the premise.
"""

from __future__ import annotations

Line = tuple[str, str | None, str]  # role, parenthetical, text
SceneT = dict[str, object]

PLACES: dict[str, list[tuple[str, str, str]]] = {
    "race": [
        ("EXT", "{PLACE} ROAD", "a narrow road with the water rising on both sides"),
        ("INT", "DISPATCH ROOM", "a room of radios, maps and cold coffee"),
        ("EXT", "OLD BRIDGE", "a stone bridge with the river tearing at its arches"),
        ("INT", "{PRIZE} ROOM", "the small, high room where the {prize} waits"),
    ],
    "mystery": [
        ("INT", "{PLACE} OFFICE", "a cramped office, files stacked to the window"),
        ("EXT", "BACK ALLEY", "wet cobbles, a single lamp, a door left ajar"),
        ("INT", "ARCHIVE", "shelves of ledgers and a green-shaded lamp"),
        ("INT", "WORKSHOP", "a workshop frozen mid-task, tools still warm"),
    ],
    "heart": [
        ("INT", "CORNER CAFE", "a cafe with fogged windows and mismatched chairs"),
        ("EXT", "{PLACE} PROMENADE", "a long promenade of benches and gulls"),
        ("INT", "STUDIO", "an artist's studio full of half-finished canvases"),
    ],
    "comedy": [
        ("INT", "{PLACE} KITCHEN", "a kitchen where everything is slightly on fire"),
        ("INT", "BACKSTAGE", "a corridor of costumes, cables and nerves"),
        ("INT", "MAIN HALL", "a hall of folding chairs and a sagging banner"),
    ],
    "wonder": [
        ("INT", "{PLACE} DECK", "a control deck humming with soft blue light"),
        ("EXT", "SURFACE", "a silver plain under two pale moons"),
        ("INT", "ENGINE BAY", "pipes, frost and a heartbeat of machinery"),
    ],
    "family": [
        ("INT", "FAMILY KITCHEN", "a kitchen that has not changed in thirty years"),
        ("EXT", "{PLACE} GARDEN", "an overgrown garden with a crooked gate"),
        ("INT", "ATTIC", "an attic of boxes, dust and one round window"),
    ],
}

BANKS: dict[str, list[SceneT]] = {
    "race": [
        {
            "beat": "Opening: {hero} learns the only way to {goal} is through {obstacle}.",
            "place": 0,
            "time": "NIGHT",
            "cast": ["hero", "voice"],
            "action": [
                "Rain hammers the road. A single lamp wobbles through the dark.",
                "{hero} pushes on through ankle-deep water.",
            ],
            "lines": [
                ("hero", "into the radio", "Control, it's {hero}. The main route is gone."),
                ("voice", None, "Then turn back. Nobody gets through {obstacle} tonight."),
                ("hero", None, "Somebody has to. I'm taking the old road."),
            ],
        },
        {
            "beat": "At the {prize}, {elder} prepares for an arrival that may never come.",
            "place": 3,
            "time": "NIGHT",
            "cast": ["elder"],
            "action": [
                "A cramped room of brass and glass. Everything waits on the {prize}.",
                "{elder} checks a pocket watch, then checks it again.",
            ],
            "lines": [
                ("elder", None, "Forty minutes. She always says forty and means thirty."),
                ("elder", "to no one", "Come on, come on."),
            ],
        },
        {
            "beat": "{rival} blocks the bridge and orders everyone back.",
            "place": 2,
            "time": "NIGHT",
            "cast": ["hero", "rival"],
            "action": ["Floodlights. A barrier across the bridge. The river roars underneath."],
            "lines": [
                ("rival", None, "This crossing is closed. Turn around."),
                ("hero", None, "If I turn around, the whole valley stays dark."),
                ("rival", None, "And if the bridge goes, you go with it."),
                ("hero", None, "Then hold the light for me."),
            ],
        },
        {
            "beat": "The midpoint: {obstacle} takes the road, and {hero} loses the easy way forward.",
            "place": 0,
            "time": "NIGHT",
            "cast": ["hero"],
            "action": [
                "The water rises over the wheels. {hero} hauls everything up the bank by hand.",
                "Behind, the road vanishes.",
            ],
            "lines": [("hero", "breathless", "Fine. On foot, then.")],
        },
        {
            "beat": "Dispatch loses contact and {voice} fears the worst.",
            "place": 1,
            "time": "NIGHT",
            "cast": ["voice"],
            "action": ["Radios hiss. A red dot on the map stops moving."],
            "lines": [
                ("voice", None, "{hero}, do you copy? {hero}, answer me."),
                ("voice", "quietly", "Please answer me."),
            ],
        },
        {
            "beat": "The climax: {hero} reaches {elder} and together they {goal}.",
            "place": 3,
            "time": "DAWN",
            "cast": ["hero", "elder"],
            "action": [
                "{hero} stumbles in, soaked to the bone, and sets down a padded box.",
                "Together they fit the last piece. {elder} throws the switch.",
            ],
            "lines": [
                ("elder", None, "You carried that through all of it."),
                ("hero", None, "You asked for it by morning."),
                ("elder", None, "It is morning."),
            ],
        },
        {
            "beat": "Resolution: the light reaches the valley, and the valley answers.",
            "place": 2,
            "time": "DAWN",
            "cast": ["rival", "voice"],
            "action": ["A beam sweeps across the water. Far below, headlights turn toward it, one after another."],
            "lines": [
                ("rival", None, "Well. Would you look at that."),
                ("voice", "over the radio", "All units. Follow the light home."),
            ],
        },
    ],
    "mystery": [
        {
            "beat": "Opening: {hero} is handed a case no one else will touch — {goal}.",
            "place": 0,
            "time": "NIGHT",
            "cast": ["hero", "elder"],
            "action": [
                "A desk lamp, a stack of files, a photograph pinned face down.",
                "{hero} turns the photograph over.",
            ],
            "lines": [
                ("elder", None, "Nobody has asked about this in twelve years."),
                ("hero", None, "Then it's been waiting twelve years for someone to ask."),
                ("elder", "sliding a ledger across", "Page forty. Someone tore out forty-one."),
            ],
        },
        {
            "beat": "A frightened witness gives {hero} the first real lead.",
            "place": 1,
            "time": "NIGHT",
            "cast": ["hero", "witness"],
            "action": ["Steam from a grate. {witness} lingers in a doorway, apron still on."],
            "lines": [
                ("witness", None, "I didn't see anything. I only heard the door."),
                ("hero", None, "Which door?"),
                ("witness", "glancing up the alley", "The one that's supposed to be bricked shut."),
            ],
        },
        {
            "beat": "{suspect} offers help that sounds like a warning.",
            "place": 3,
            "time": "DAY",
            "cast": ["hero", "suspect"],
            "action": ["Tools lie exactly where they were dropped. {suspect} leans in the doorway, smiling."],
            "lines": [
                ("suspect", None, "You're wasting your time. People leave. That's all."),
                ("hero", None, "People leave with their coats."),
                ("suspect", None, "Careful. Old rooms have loose floorboards."),
            ],
        },
        {
            "beat": "The midpoint: the archive shows the record was changed.",
            "place": 2,
            "time": "NIGHT",
            "cast": ["hero", "elder"],
            "action": ["{hero} holds a page to the lamp. Two different inks. One signature traced."],
            "lines": [
                ("hero", None, "Somebody rewrote this."),
                ("elder", None, "Somebody with a key to this room."),
                ("hero", "quietly", "How many keys are there?"),
                ("elder", None, "Two. And I have mine."),
            ],
        },
        {
            "beat": "The reveal: {hero} confronts {suspect} with the missing page.",
            "place": 3,
            "time": "NIGHT",
            "cast": ["hero", "suspect", "witness"],
            "action": ["{hero} lifts a floorboard. Beneath it: page forty-one, folded small."],
            "lines": [
                ("hero", None, "You were right about the floorboards."),
                ("suspect", None, "That proves nothing."),
                ("witness", "from the door", "It proves it was you I heard."),
                ("suspect", None, "...Twelve years. I almost forgot it was there."),
            ],
        },
        {
            "beat": "Resolution: the case closes, and {hero} finally turns the photograph face up.",
            "place": 0,
            "time": "DAWN",
            "cast": ["hero"],
            "action": ["Morning light. The photograph is pinned face up now. {hero} switches off the lamp."],
            "lines": [("hero", "to the photograph", "Found you.")],
        },
    ],
    "heart": [
        {
            "beat": "Opening: {hero} rehearses a speech to a cup of coffee.",
            "place": 0,
            "time": "MORNING",
            "cast": ["hero", "ally"],
            "action": ["Rain on the window. {hero} mouths words at a cooling coffee."],
            "lines": [
                ("ally", None, "You're practising on the coffee again."),
                ("hero", None, "The coffee doesn't interrupt."),
                ("ally", None, "Just tell them. What's the worst that happens?"),
                ("hero", None, "They say no. Nicely. Forever."),
            ],
        },
        {
            "beat": "A chance meeting: {beloved} is back in town.",
            "place": 1,
            "time": "DAY",
            "cast": ["hero", "beloved"],
            "action": ["Gulls. Wind. {beloved} sketches the sea on a bench. {hero} stops dead."],
            "lines": [
                ("beloved", None, "You still walk this way."),
                ("hero", None, "You still draw the sea wrong."),
                ("beloved", "smiling despite themself", "The sea keeps moving."),
            ],
        },
        {
            "beat": "The midpoint: in the studio, the old feeling returns, and so does the old fear.",
            "place": 2,
            "time": "DUSK",
            "cast": ["hero", "beloved"],
            "action": ["Canvases everywhere. One of them is {hero}, painted years ago, unfinished."],
            "lines": [
                ("hero", None, "You kept it."),
                ("beloved", None, "I never knew how to finish it."),
                ("hero", None, "Maybe it doesn't need an ending yet."),
            ],
        },
        {
            "beat": "A setback: {beloved} is leaving on the morning train.",
            "place": 0,
            "time": "NIGHT",
            "cast": ["hero", "ally"],
            "action": ["Chairs up on tables. {ally} slides a train timetable across."],
            "lines": [
                ("ally", None, "Seven-fifteen. Platform two. I checked."),
                ("hero", None, "And say what?"),
                ("ally", None, "Whatever you said to the coffee."),
            ],
        },
        {
            "beat": "The climax and resolution: {hero} finally says it, and sets out to {goal}.",
            "place": 1,
            "time": "DAWN",
            "cast": ["hero", "beloved"],
            "action": ["Dawn on the water. {beloved} with a suitcase. {hero} running, out of breath."],
            "lines": [
                ("hero", None, "I rehearsed this. It was much better with the coffee."),
                ("beloved", None, "Say it badly, then."),
                ("hero", None, "Stay. Or let me come with you."),
                ("beloved", "putting the suitcase down", "The sea can wait."),
            ],
        },
    ],
    "comedy": [
        {
            "beat": "Opening: {hero} makes one small mistake that becomes a very large plan: {goal}.",
            "place": 0,
            "time": "MORNING",
            "cast": ["hero", "boss"],
            "action": ["Flour everywhere. Something in the oven is whistling, which ovens should not do."],
            "lines": [
                ("boss", None, "Why is the oven singing?"),
                ("hero", None, "It's... a new technique."),
                ("boss", None, "Fix it. And whatever you're hiding, stop hiding it."),
            ],
        },
        {
            "beat": "{ally} volunteers to help, which is worse.",
            "place": 0,
            "time": "DAY",
            "cast": ["hero", "ally"],
            "action": ["{ally} bursts in carrying a megaphone and a feather boa."],
            "lines": [
                ("ally", None, "I heard you need a distraction."),
                ("hero", None, "I need the opposite of a distraction."),
                ("ally", "raising the megaphone", "An attraction!"),
                ("hero", None, "Please put that down."),
            ],
        },
        {
            "beat": "The midpoint: backstage, the plan falls apart in every direction at once.",
            "place": 1,
            "time": "NIGHT",
            "cast": ["hero", "ally", "boss"],
            "action": ["A rack of costumes topples. Something small and fast escapes between everyone's legs."],
            "lines": [
                ("boss", None, "Was that a goat?"),
                ("ally", None, "Define goat."),
                ("hero", None, "Everybody stay calm and nobody open the-"),
                ("ally", None, "I opened the door."),
            ],
        },
        {
            "beat": "The climax: on stage, in front of {judge}, {hero} improvises.",
            "place": 2,
            "time": "NIGHT",
            "cast": ["hero", "judge", "ally"],
            "action": ["A spotlight. Silence. {judge} peers over half-moon glasses."],
            "lines": [
                ("judge", None, "Whenever you are ready."),
                ("hero", "deep breath", "This was always the plan."),
                ("ally", "whispering loudly", "It was not the plan!"),
            ],
        },
        {
            "beat": "Resolution: against every law of sense, it works.",
            "place": 2,
            "time": "NIGHT",
            "cast": ["hero", "judge", "boss"],
            "action": ["The hall erupts. {judge}, very slowly, begins to clap."],
            "lines": [
                ("judge", None, "Irregular. Deeply irregular. First prize."),
                ("boss", None, "Same time tomorrow?"),
                ("hero", None, "Absolutely not."),
            ],
        },
    ],
    "wonder": [
        {
            "beat": "Opening: aboard the {place}, {hero} sees a signal nobody else believes in.",
            "place": 0,
            "time": "NIGHT",
            "cast": ["hero", "companion"],
            "action": ["A console blinks a pattern: three short, one long. {hero} leans close."],
            "lines": [
                ("companion", None, "Probability this is a message: four percent."),
                ("hero", None, "And the other ninety-six?"),
                ("companion", None, "Noise. Lovely, meaningless noise."),
                ("hero", None, "Then let's go and listen to it."),
            ],
        },
        {
            "beat": "{commander} forbids the journey to {goal}.",
            "place": 0,
            "time": "DAY",
            "cast": ["hero", "commander"],
            "action": ["{commander} studies the signal, arms folded."],
            "lines": [
                ("commander", None, "We don't have the fuel for wonder."),
                ("hero", None, "We never did. We came anyway."),
            ],
        },
        {
            "beat": "The midpoint: on the surface, the signal is closer and stranger than anyone guessed.",
            "place": 1,
            "time": "NIGHT",
            "cast": ["hero", "companion"],
            "action": ["Two moons. Silver dust. A structure hums beneath the surface, in rhythm with the console."],
            "lines": [
                ("companion", None, "It is answering your footsteps."),
                ("hero", "kneeling", "Hello. We heard you."),
            ],
        },
        {
            "beat": "Crisis: the engines fail and {companion} offers its own power.",
            "place": 2,
            "time": "NIGHT",
            "cast": ["hero", "companion", "commander"],
            "action": ["Frost creeps over the pipes. Warning lights, one after another."],
            "lines": [
                ("commander", None, "We lose power in six minutes."),
                ("companion", None, "Route my core into the main line."),
                ("hero", None, "That would switch you off."),
                ("companion", None, "Then I will have been useful."),
            ],
        },
        {
            "beat": "Resolution: the signal lights the way home, and {companion} wakes again.",
            "place": 0,
            "time": "DAWN",
            "cast": ["hero", "companion", "commander"],
            "action": ["Blue light floods the deck. A single blue eye flickers back on."],
            "lines": [
                ("companion", None, "Did I miss anything?"),
                ("hero", None, "Only everything."),
                ("commander", None, "Set a course. Slowly. I want to see this."),
            ],
        },
    ],
    "family": [
        {
            "beat": "Opening: {hero} comes home for the first time in years, to {goal}.",
            "place": 0,
            "time": "DAY",
            "cast": ["hero", "sibling"],
            "action": [
                "The same yellow kitchen. The same clock, still five minutes fast.",
                "{sibling} dries a cup and does not look up.",
            ],
            "lines": [
                ("sibling", None, "You found the place, then."),
                ("hero", None, "It's not hard. Nothing moved."),
                ("sibling", None, "Some of us stayed to stop it moving."),
            ],
        },
        {
            "beat": "{elder} hands over something that has been waiting for {hero}.",
            "place": 2,
            "time": "DAY",
            "cast": ["hero", "elder"],
            "action": ["Dust in a beam of light. {elder} lifts the lid of a battered box."],
            "lines": [
                ("elder", None, "Your mother made me promise. Not until you came back."),
                ("hero", None, "What is it?"),
                ("elder", "grinning", "Homework."),
            ],
        },
        {
            "beat": "The midpoint: the old argument breaks open in the garden.",
            "place": 1,
            "time": "DUSK",
            "cast": ["hero", "sibling", "neighbour"],
            "action": ["The gate hangs crooked. {hero} tries to fix it. {sibling} watches."],
            "lines": [
                ("sibling", None, "You can't just fix the gate and call it even."),
                ("hero", None, "I know. I'm starting with the gate."),
                ("neighbour", "over the hedge", "The hinge sticks. Lift as you push!"),
            ],
        },
        {
            "beat": "Late at night, {hero} and {sibling} finally work together.",
            "place": 0,
            "time": "NIGHT",
            "cast": ["hero", "sibling"],
            "action": ["The box's contents spread over the table. Two heads bent over it."],
            "lines": [
                ("hero", None, "She wrote the instructions for both of us."),
                ("sibling", None, "Of course she did. She knew you'd need help."),
                ("hero", None, "She knew you would."),
            ],
        },
        {
            "beat": "Resolution: the family gathers as {hero} and {sibling} {goal}.",
            "place": 1,
            "time": "DAWN",
            "cast": ["hero", "sibling", "elder", "neighbour"],
            "action": ["Morning. The gate swings true. Everyone watches it close by itself."],
            "lines": [
                ("elder", None, "Well. That only took thirty years."),
                ("neighbour", None, "I'll bring the cake."),
                ("sibling", None, "Stay for it?"),
                ("hero", None, "I'll stay for all of it."),
            ],
        },
    ],
}
