"""Word lists the premise reader leans on: kinds of nouns, verbs, and what a verb of relation implies.

General English, not tuned to any premise: people and creatures that can be characters, places (and which
are indoors), weather and natural forces, seasons, times of day, and the verbs premises use, with the
irregular forms a suffix rule cannot undo.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DETERMINERS = _words(
    "a an the her his their its my our your every each one two three four five six seven eight nine ten "
    "eleven twelve twenty thirty forty fifty hundred some this that these those no another several many few"
)
PLURAL_DETERMINERS = _words(
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred some these those "
    "many few"
)
PREPOSITIONS = _words(
    "of in on at from to for with by during across through into over under near around behind beyond off "
    "inside outside along against among between toward towards without within past aboard about like upon "
    "onto via throughout beneath above below amid"
)
SUBORDINATORS = _words("when after before as while until once because although though if since unless whenever")
CONJUNCTIONS = _words("and but or yet nor")
RELATIVES = _words("who whom whose which that where")
PRONOUNS = _words("he she they him her them it himself herself themselves itself someone something everyone")
HERO_PRONOUNS = _words("he she they him her them himself herself themselves")
AUXILIARIES = _words("is are was were be been being am has have had does do did")
MODALS = _words("must can could will would should may might shall")
ADVERBS = _words(
    "now then also both still really once never always finally only just soon together alone even already "
    "again ever suddenly secretly slowly quickly back away out up down ago"
)
TITLES = _words("mr mrs ms miss dr doctor captain sister brother father mother professor sir lady lord old aunt uncle")

# verbs that introduce what the hero wants: 'must X', 'tries to X', 'sets out to X'
WANT_VERBS = _words(
    "try attempt want need hope plan decide vow set agree struggle fight race scramble rush refuse promise "
    "dare seek strive learn mean intend swear"
)

PEOPLE = _words(
    "person man woman men women boy girl child children kid kids baby teen teenager youth orphan twin twins "
    "mother father mum mom dad parent parents son daughter brother sister sibling grandmother grandfather "
    "grandma grandpa grandson granddaughter aunt uncle nephew niece cousin wife husband bride groom widow "
    "widower fiance fiancee family friend friends stranger neighbour neighbor partner lover ex boss chef cook "
    "baker butcher farmer fisherman shepherd goatherd keeper guard soldier sailor pilot captain officer "
    "sergeant general admiral colonel private knight king queen prince princess duke duchess emperor empress "
    "lord lady monk nun priest abbot vicar bishop rabbi imam pope witch wizard sorcerer mage giant dwarf elf "
    "fairy ghost vampire werewolf zombie spy agent detective inspector constable sheriff deputy marshal cop "
    "police thief burglar killer murderer assassin hitman poacher smuggler gangster bandit outlaw pirate "
    "mobster criminal convict prisoner fugitive hostage victim witness suspect judge lawyer clerk nurse "
    "doctor medic surgeon paramedic midwife teacher schoolteacher student pupil tutor mentor apprentice "
    "professor scientist engineer mechanic astronaut cosmonaut explorer guide climber skier diver swimmer "
    "runner boxer wrestler dancer singer musician violinist pianist drummer painter poet writer novelist "
    "journalist reporter photographer actor actress clown magician acrobat ringmaster host presenter "
    "politician mayor senator president minister governor landlord landlady tenant servant maid butler "
    "nanny governess driver courier postman postwoman porter bellboy waiter waitress bartender barber "
    "tailor seamstress librarian archivist historian archaeologist astronomer inventor hacker programmer "
    "banker accountant merchant trader seller vendor peddler beggar hermit pilgrim refugee immigrant "
    "nomad traveller traveler tourist ranger warden hunter trapper lumberjack miner blacksmith carpenter "
    "builder plumber electrician janitor cleaner gardener florist beekeeper vet veterinarian dentist "
    "therapist psychiatrist preacher prophet healer shaman chief villager townspeople crew team gang army "
    "mob council company corporation cult militia cartel syndicate tribe government regime committee board "
    "critic rival enemy ally companion sidekick patient copycat strangler kidnapper traitor heir heiress musketeer samurai ninja "
    "gladiator cowboy cowgirl rancher settler colonist android robot cyborg alien ai"
)
GROUPS = _words(
    "crew team gang army mob council company corporation cult militia cartel syndicate tribe government "
    "regime committee board police family townspeople villagers soldiers"
)
CREATURES = _words(
    "dog puppy cat kitten horse pony donkey mule wolf fox bear seal whale dolphin shark octopus elephant "
    "rhino tiger lion leopard cheetah monkey ape gorilla goat sheep lamb cow bull ox pig deer stag rabbit "
    "hare mouse rat snake lizard turtle tortoise crow raven owl eagle hawk falcon parrot pigeon goose duck "
    "swan hen chicken rooster penguin bee spider dragon unicorn phoenix griffin mermaid troll monster "
    "creature beast bird spirit ghost robot android alien"
)
CHILDREN = _words("boy girl child children kid kids baby orphan son daughter nephew niece pupil student teen teenager")
ELDERS = _words("grandmother grandfather grandma grandpa widow widower elder abbot pope")
CRIMINALS = _words(
    "thief burglar killer murderer assassin hitman poacher smuggler gangster bandit outlaw pirate mobster "
    "criminal convict fugitive kidnapper stalker villain enemy rival copycat strangler traitor tyrant warlord"
)
SIBLINGS = _words("brother sister sibling twin")
NOT_PEOPLE = _words(
    "water river winter summer tower paper letter border silver thunder weather computer corner number "
    "danger center centre chamber order power shelter matter dinner supper timber ladder feather leather "
    "finger hunger anger fever mirror door floor error horror terror color colour harbor harbour manor "
    "motor tractor elevator generator reactor corridor meteor monitor sweater cellar pillar poster "
    "theater theatre charter rubber butter glacier frontier barrier register heist wrist twist fist "
    "list mist"
)

PLACES = _words(
    "valley road bridge tower lighthouse harbor harbour city town village station ship forest desert island "
    "school hospital market moon mars train kitchen bakery office river mountain farm theater theatre "
    "library museum hotel diner garage lab laboratory observatory church castle mine beach airport rooftop "
    "subway orchard vineyard studio workshop cafe greenhouse pass savanna circus square courtyard street "
    "monastery temple coast tunnel cellar vault bank promenade seaside glacier cave canyon prairie plain "
    "swamp jungle arctic tundra pole sea ocean lake shore cliff palace prison court courtroom gym stadium "
    "arena casino club bar pub inn motel ranch mill factory warehouse dock docks pier port marina cathedral "
    "chapel mosque synagogue cemetery graveyard mansion cottage cabin apartment flat attic basement barn "
    "stable field meadow garden park zoo aquarium embassy palace fortress fort camp base bunker "
    "submarine plane spaceship ferry boat raft yacht gallery college university cinema hall restaurant "
    "shop store salon colony outpost asteroid planet orbit space station alley highway motorway border "
    "wasteland ruins ruin crater volcano reef bay estate house home building tenement slum suburb "
    "countryside wilderness woods jungle marsh moor heath hill hills peak summit ridge gorge waterfall "
    "pond well lane avenue boulevard plaza market markets fairground carnival"
)
INDOORS = _words(
    "kitchen bakery office library museum hotel diner garage lab laboratory observatory church hospital "
    "school studio workshop cafe greenhouse monastery temple cellar vault bank palace prison court "
    "courtroom gym casino club bar pub inn motel mill factory warehouse cathedral chapel mosque synagogue "
    "mansion cottage cabin apartment flat attic basement barn stable embassy bunker submarine plane "
    "spaceship gallery cinema hall restaurant shop store salon house home building tenement theater theatre "
    "station tunnel mine ship train"
)
WEATHER = _words(
    "storm storms blizzard snow snowstorm rain downpour fog mist gale wind winds hurricane typhoon tornado "
    "cyclone monsoon hail sleet frost ice thaw heatwave heat drought flood floods thunderstorm thunder "
    "lightning dust sandstorm avalanche mudslide landslide wildfire fire eclipse tide tsunami earthquake "
    "eruption blackout cold"
)
SEASONS = _words("winter spring summer autumn harvest christmas easter solstice equinox halloween carnival")
TIMES = _words(
    "midnight dawn dusk nightfall night morning evening noon afternoon sunrise sunset daybreak twilight eve "
    "monday tuesday wednesday thursday friday saturday sunday tonight"
)
HEADING_TIMES = {
    "midnight": "MIDNIGHT", "dawn": "DAWN", "daybreak": "DAWN", "sunrise": "DAWN", "dusk": "DUSK",
    "sunset": "DUSK", "nightfall": "DUSK", "twilight": "DUSK", "night": "NIGHT", "tonight": "NIGHT",
    "evening": "EVENING", "morning": "MORNING", "noon": "DAY", "afternoon": "DAY",
}  # fmt: skip
# a hero's own failing, when nothing else stands in the way: 'a timid librarian' -> 'her own timidity'
FLAWS = {
    "timid": "timidity", "shy": "shyness", "lonely": "loneliness", "blind": "blindness", "deaf": "deafness",
    "grieving": "grief", "reluctant": "reluctance", "stubborn": "stubbornness", "cynical": "cynicism",
    "bitter": "bitterness", "proud": "pride", "arrogant": "arrogance", "greedy": "greed", "clumsy": "clumsiness",
    "nervous": "nerves", "anxious": "anxiety", "frightened": "fear", "disgraced": "disgrace",
    "cowardly": "cowardice", "hapless": "bad luck", "lazy": "laziness", "jealous": "jealousy",
    "grumpy": "temper", "cranky": "temper", "stuttering": "stutter", "heartbroken": "heartbreak",
    "exiled": "exile", "forgetful": "forgetfulness", "jaded": "weariness", "reckless": "recklessness",
}  # fmt: skip
ABSTRACT = _words(
    "way name life time chance truth secret death disappearance murder loss fear love hope past future "
    "end rest side lot kind sort part plan idea way home job work heart mind world everything nothing care "
    "shift year years day days"
)
ADJECTIVES = _words(
    "old young new last first lonely shy retired timid grumpy cranky blind deaf lost dead former own only "
    "same secret ancient wounded frightened stray dry white black red blue green grey gray golden silver "
    "little small big great tiny huge long short tall poor rich brave bold quiet loud strange far near "
    "elderly teenage orphaned hapless reluctant ambitious aging ageing bitter cynical jaded kind cruel "
    "corrupt crooked wrongful desperate determined famous infamous legendary local foreign rival exiled "
    "runaway broken empty full whole entire next final single only sick ill grieving heartbroken lonely "
    "widowed haunted disgraced stubborn cursed abandoned forgotten hidden missing wild gentle fierce "
    "dying sunken frozen burning falling failing rising naval royal local national final fatal rural coastal "
    "tropical medical political military full"
)
VERBS = _words(
    "abandon accept accuse adopt agree arrest arrive ask attack attempt avenge bake battle become befriend "
    "begin believe betray bid blackmail blame block bring build bury buy call capture care carry catch "
    "challenge change chase cheat choose clean clear climb close coach collapse come compete confess "
    "confront convince cook crack cross cure dance dare decide defeat defend deliver destroy die dig "
    "discover dive do drag draw dream drink drive drown earn eat enter escape escort expose face fail fall "
    "fear feed fight find finish fix flee fly follow forge forget forgive frame free freeze get give go "
    "grow guard guide hack hand hang haunt have hear help hide hire hit hold hope hunt infiltrate inherit "
    "investigate invite join keep kidnap kill kiss know land last lead learn leave let lie lift light live "
    "look lose love make marry meet mentor miss move murder need open outrun outwit own paint pass plan "
    "play plot poison pray prepare pretend protect prove pull pursue push race raise reach read realise "
    "realize receive recover refuse relight remember repair rescue restore return reunite ride rob ruin "
    "run sabotage sail save say scrap search see seek sell send serve set shelter sing sink sleep smuggle "
    "solve speak spend stalk stand start stay steal stop struggle survive swap swear swim take talk tame "
    "teach tell track train trap travel trust try turn uncover understand unite vanish visit wait wake "
    "walk want warn watch win wish work worry write burn break crack hit head"
)
IRREGULAR = {
    "is": "be", "are": "be", "was": "be", "were": "be", "has": "have", "had": "have", "does": "do",
    "did": "do", "goes": "go", "went": "go", "gone": "go", "taught": "teach", "caught": "catch",
    "left": "leave", "sent": "send", "kept": "keep", "held": "hold", "brought": "bring", "bought": "buy",
    "told": "tell", "made": "make", "sold": "sell", "torn": "tear", "thrown": "throw", "written": "write",
    "driven": "drive", "frozen": "freeze", "hidden": "hide", "hid": "hide", "forgotten": "forget",
    "chosen": "choose", "shot": "shoot", "struck": "strike", "found": "find", "lost": "lose", "fell": "fall",
    "fallen": "fall", "met": "meet", "ran": "run", "won": "win", "fought": "fight", "sought": "seek",
    "stolen": "steal", "stole": "steal", "taken": "take", "took": "take", "given": "give", "gave": "give",
    "seen": "see", "saw": "see", "known": "know", "knew": "know", "born": "bear", "led": "lead",
    "fled": "flee", "bitten": "bite", "begun": "begin", "began": "begin", "broke": "break",
    "broken": "break", "heard": "hear", "felt": "feel", "meant": "mean", "dug": "dig", "swore": "swear",
    "sworn": "swear", "buried": "bury", "carried": "carry", "married": "marry", "tried": "try",
    "died": "die", "lying": "lie", "dying": "die",
}  # fmt: skip
