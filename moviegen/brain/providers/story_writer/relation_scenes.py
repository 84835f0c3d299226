"""Scenes between the hero and the premise's second character, one pair per kind of relation.

Each kind has a 'meet' scene (the relation is set up, early) and a 'turn' scene (it pays off, late). Same
shape as the genre banks; role 'other' is the second character. Place -1 is the premise's own first place,
-2 its second (the writer falls back to the genre's places). Slots as in the banks, plus {place} for the
premise's place and {prize} for the thing at stake. A creature's lines become action ("the seal watches").
"""

from __future__ import annotations

from moviegen.brain.providers.story_writer.banks import SceneT


def _scene(beat: str, place: int, time: str, action: list[str], lines: list) -> SceneT:
    return {"beat": beat, "place": place, "time": time, "cast": ["hero", "other"], "action": action, "lines": lines}


RELATION_SCENES: dict[str, tuple[SceneT, SceneT]] = {
    "teach": (
        _scene("{hero} takes {other} on and starts teaching, badly.", -1, "MORNING",
               ["{hero} chalks a square on the floor. {other} looks at it as if it might bite."],
               [("hero", None, "Again. Slower this time."), ("other", None, "I did it slower. It was worse."),
                ("hero", "gruff", "Then we do it a hundred times until it isn't.")]),
        _scene("The lesson holds: {other} does it alone while {hero} watches.", -2, "DAY",
               ["{other} does it alone, clean and sure. {hero} forgets to breathe."],
               [("other", None, "Did you see that?"), ("hero", "not trusting the voice", "I saw it."),
                ("other", None, "You can stop teaching me now."), ("hero", None, "Never.")]),
    ),
    "learn": (
        _scene("{other} agrees to teach {hero}, on hard terms.", -1, "DAY",
               ["{other} circles {hero} slowly, judging every inch."],
               [("other", None, "You want to learn? Then you will fail in front of me first."),
                ("hero", None, "I've failed in front of everyone else."), ("other", "almost smiling", "Good. Begin.")]),
        _scene("{hero} finally does what {other} taught, without being told.", -2, "NIGHT",
               ["{hero} moves the way {other} moves. {other} says nothing, which is the highest praise."],
               [("other", "quietly", "Who taught you that?"), ("hero", None, "Someone very rude."),
                ("other", None, "Then they taught you well.")]),
    ),
    "rescue": (
        _scene("{hero} reaches {other} at last, and finds the way back is worse.", -1, "NIGHT",
               ["{other} is pinned where no one should be. {hero} crawls the last yards on elbows and knees."],
               [("other", "weakly", "I thought no one was coming."), ("hero", None, "Then you thought wrong. Hold on to me."),
                ("other", None, "I can't feel my hands."), ("hero", None, "You don't need them. You've got mine.")]),
        _scene("The way out: {hero} carries {other} the last of the distance.", -2, "DAWN",
               ["{hero} staggers into the light with {other} held close. Somebody shouts. Somebody runs to help."],
               [("other", None, "Are we out?"), ("hero", "barely standing", "We're out.")]),
    ),
    "protect": (
        _scene("{hero} hides {other} and makes a promise it may cost everything to keep.", -1, "NIGHT",
               ["{hero} bolts the door, then wedges a chair under the handle for good measure. {other} watches every move."],
               [("other", None, "Why are you helping me?"), ("hero", None, "Because nobody else is."),
                ("other", None, "That's not a reason."), ("hero", None, "It's the only one I've got.")]),
        _scene("The danger passes the door; {other} and {hero} wait in silence, and then trust.", -2, "DAWN",
               ["Boots pass, slow down, move on. Neither of them breathes until the street is quiet."],
               [("other", "whispering", "They've gone."), ("hero", None, "For now. Come on. Stay close.")]),
    ),
    "rescued": (
        _scene("Trapped, {hero} hears {other} calling from somewhere above.", -1, "NIGHT",
               ["Dust. Dark. One thin line of light. {hero} shouts until the voice gives out."],
               [("other", "far off", "Hello? Can anyone hear me?"), ("hero", None, "Here! I'm down here!"),
                ("other", None, "Don't move. We're coming.")]),
        _scene("{other} pulls {hero} out into the air.", -2, "DAWN",
               ["Hands reach down through the gap. {other} does not let go."],
               [("other", None, "Got you. I've got you."), ("hero", "laughing and crying", "You came back for me."),
                ("other", None, "You'd have done it for us.")]),
    ),
    "befriend": (
        _scene("{hero} and {other} circle each other, neither sure of the other.", -1, "DAY",
               ["{other} keeps exactly out of reach. {hero} sits down on the ground and waits."],
               [("hero", "softly", "I'm not going anywhere."), ("other", None, "Everyone says that."),
                ("hero", None, "Then I'll be the first who means it.")]),
        _scene("{other} comes back of its own accord; the friendship is real.", -2, "DUSK",
               ["{other} is already there when {hero} arrives, as if it had always been the arrangement."],
               [("hero", None, "You came back."), ("other", None, "You said you'd be here."),
                ("hero", "pleased beyond words", "I did, didn't I.")]),
    ),
    "love": (
        _scene("{hero} and {other} talk properly for the first time, and the air changes.", -1, "DUSK",
               ["{hero} means to say something clever and says nothing at all. {other} waits, amused."],
               [("other", None, "Are you going to say something?"), ("hero", None, "I had a whole speech."),
                ("other", None, "And?"), ("hero", None, "It was about you. I've forgotten all of it.")]),
        _scene("{hero} says it plainly, and {other} answers.", -2, "NIGHT",
               ["Lamps come on one by one. {hero} stops running and simply stands there."],
               [("hero", None, "I don't want to be clever about it. I want you to stay."),
                ("other", "after a long moment", "Then ask me properly."), ("hero", None, "Stay.")]),
    ),
    "search": (
        _scene("{hero} follows the first trace of {other}.", -1, "DAY",
               ["A scrap of something familiar, caught where it should not be. {hero} holds it up to the light."],
               [("hero", "to the empty air", "You were here. Where did you go next?")]),
        _scene("{hero} finds {other} at last.", -2, "DAWN",
               ["In the last place anyone would look, {other} is waiting, very still."],
               [("hero", "barely a breath", "There you are."), ("other", None, "You kept looking."),
                ("hero", None, "I was always going to keep looking.")]),
    ),
    "company": (
        _scene("{other} turns up with something {hero} did not expect.", -1, "DAY",
               ["{other} stands in the doorway as if the years in between had been an afternoon."],
               [("other", None, "You look like someone with a problem."), ("hero", None, "Is it that obvious?"),
                ("other", None, "Only from the front.")]),
        _scene("When it counts, {other} is there.", -2, "NIGHT",
               ["{other} arrives at the worst moment, which is to say the right one."],
               [("hero", None, "You didn't have to come."), ("other", None, "Yes I did.")]),
    ),
    "wronged": (
        _scene("{other} will not look at {hero}; what {hero} did hangs between them.", -1, "DAY",
               ["{hero} holds out a hand. {other} looks at it for a long time and does not take it."],
               [("other", None, "You want me to say it's fine."), ("hero", None, "I want you to say anything."),
                ("other", None, "Then: not yet.")]),
        _scene("{hero} owns what they did, and {other} takes the hand at last.", -2, "DUSK",
               ["No speeches. {hero} says it plainly, and waits."],
               [("hero", None, "I was wrong. I'd do it differently. I can't."), ("other", "after a while", "I know."),
                ("other", None, "Come on, then. We've work to do.")]),
    ),
    "memory": (
        _scene("{hero} hears {other} again, or thinks so.", -1, "NIGHT",
               ["The room is empty. Then it is not: {other}, exactly as {hero} remembers, which is impossible."],
               [("other", None, "You always did stay up too late."), ("hero", "barely a whisper", "You're not here."),
                ("other", None, "Then who are you talking to?")]),
        _scene("{hero} lets {other} go, and keeps what matters.", -2, "DAWN",
               ["First light. {other} is fainter now, and smiling."],
               [("hero", None, "I don't know how to do the rest without you."),
                ("other", None, "Yes you do. You've been doing it all along.")]),
    ),
    "oppose": (
        _scene("{hero} confronts {other} for the first time and learns what they are up against.", -1, "NIGHT",
               ["{other} does not hurry. People who are winning never hurry."],
               [("other", None, "You can still walk away. Most people do."), ("hero", None, "I'm not most people."),
                ("other", "pleasantly", "No. Most people are still alive.")]),
        _scene("Face to face at the end, {hero} stops {other}.", -2, "DAWN",
               ["Everything {other} built comes down to one move. {hero} makes it first."],
               [("other", None, "You don't understand what you've done."), ("hero", None, "I understand exactly."),
                ("other", "finally rattled", "This isn't over."), ("hero", None, "It is for you.")]),
    ),
    "hunted": (
        _scene("{other} closes in; {hero} gets away by a breath.", -1, "NIGHT",
               ["Footsteps behind, unhurried. {hero} slips sideways into the dark and holds perfectly still."],
               [("other", "calling out, almost friendly", "I know you're here. I always know."),
                ("hero", "to themself", "Not tonight you don't.")]),
        _scene("The hunter becomes the hunted: {hero} turns to face {other}.", -2, "DAWN",
               ["{hero} stops running. For the first time, {other} hesitates."],
               [("other", None, "Tired of running?"), ("hero", None, "Tired of you."),
                ("other", None, "You can't win this."), ("hero", None, "I don't have to win. I only have to stay.")]),
    ),
    "betrayed": (
        _scene("{hero} learns {other} has betrayed them.", -1, "NIGHT",
               ["The safe is open and empty. In its place, a note in handwriting {hero} knows too well."],
               [("hero", "reading", "'Nothing personal.'"), ("hero", "crumpling it", "It's always personal.")]),
        _scene("{hero} faces {other} with the truth.", -2, "NIGHT",
               ["{other} turns, all charm, and sees {hero}'s face. The charm goes out like a light."],
               [("other", None, "I was going to explain."), ("hero", None, "You were going to disappear."),
                ("other", None, "Same thing, usually."), ("hero", None, "Not this time.")]),
    ),
    "race": (
        _scene("{other} draws level with {hero}, and the race is on.", -1, "MORNING",
               ["{other} arrives with better kit, a bigger smile and no intention of coming second."],
               [("other", None, "Still trying? That's sweet."), ("hero", None, "Still here. That's different."),
                ("other", None, "May the best one win."), ("hero", None, "She will.")]),
        _scene("Neck and neck at the finish, {hero} edges past {other}.", -2, "DAY",
               ["Side by side, neither giving an inch. At the very end, {hero} finds one more step."],
               [("other", "out of breath", "How?"), ("hero", None, "I wanted it more than I wanted to beat you.")]),
    ),
}  # fmt: skip
CREATURE_ACTIONS = [
    "{other} watches {hero} with bright, unreadable eyes.",
    "{other} edges a little closer, then thinks better of it.",
    "{other} makes a low sound that might be an answer.",
    "{other} stays exactly where it is, which is its own kind of answer.",
]
