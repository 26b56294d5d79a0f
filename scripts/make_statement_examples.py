"""Write resources/memory/statement_examples.json: the sentences the statement classifier learns
from (lampdesk/memory/statements.py), each labelled "a fact about the user" or not, with a topic.

They are written here, by hand and by combining hand-written parts, to cover the *kinds* of
things users type: statements about themselves (life, relations, preferences, constraints,
changes) and what is not one (requests, questions, hypotheticals, role play, reported speech,
small talk, one-off remarks about the conversation). No evaluation data is read or copied: the
classifier is measured on the development set, never trained on it.

    python scripts/make_statement_examples.py && python -m lampdesk.memory.train_statements
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "resources" / "memory" / "statement_examples.json"

CITIES = ["Calgary", "Toronto", "Krakow", "Nairobi", "Osaka", "Glasgow", "Valencia", "Austin",
          "Utrecht", "Perth", "Bologna", "Quito", "Tallinn", "Hamburg", "Montreal", "Seville"]
NAMES = ["Priya", "Tomasz", "Ingrid", "Kofi", "Lucia", "Mateo", "Yuki", "Omar", "Greta", "Ravi",
         "Noor", "Elif", "Dmitri", "Hana", "Bruno", "Aoife"]
RELATIVES = ["brother", "sister", "mother", "father", "son", "daughter", "aunt", "uncle",
             "grandmother", "grandfather", "cousin", "niece", "nephew", "stepdad", "mum", "dad"]
JOBS = ["accountant", "electrician", "pharmacist", "software tester", "librarian", "paramedic",
        "architect", "barista", "physiotherapist", "data analyst", "translator", "plumber",
        "veterinarian", "dental hygienist", "social worker", "pilot"]
FOODS = ["shellfish", "peanuts", "tree nuts", "sesame", "soy", "eggs", "kiwi", "mustard",
         "strawberries", "wheat"]
CONDITIONS = ["eczema", "type 1 diabetes", "type 2 diabetes", "epilepsy", "high blood pressure",
              "a heart murmur", "chronic migraines", "arthritis in my hands", "tinnitus",
              "celiac disease", "IBS", "sleep apnea", "a bad back", "ADHD", "anemia",
              "a pacemaker"]
HOBBIES = ["bouldering", "the violin", "chess", "pottery", "birdwatching", "salsa dancing",
           "rowing", "woodworking", "photography", "sourdough baking", "trail running",
           "crochet", "the drums", "table tennis", "surfing", "calligraphy"]
THINGS_LIKED = ["jazz", "sci-fi films", "Thai food", "rainy days", "board games", "podcasts about "
                "history", "spicy noodles", "cold brew", "vintage cameras", "detective novels",
                "musicals", "anime", "gardening shows", "dark chocolate", "techno", "camping"]
LANGS = ["Portuguese", "Mandarin", "Swahili", "Polish", "Korean", "Dutch", "Arabic", "Hindi",
         "Greek", "Turkish", "Italian", "Finnish"]
PETS = ["a beagle", "two cats", "a parrot", "a rescue greyhound", "a tortoise", "a golden "
        "retriever", "three chickens", "a hamster", "a kitten", "a border collie"]


def facts() -> list[tuple[str, str]]:
    """(sentence, topic) of statements about the user."""
    r = random.Random(17)
    out: list[tuple[str, str]] = []

    def add(topic: str, templates: list[str], count: int, **slots: list[str]) -> None:
        made = set()
        for template in templates:
            keys = [k for k in slots if "{" + k + "}" in template]
            combos = list(itertools.product(*(slots[k] for k in keys))) if keys else [()]
            r.shuffle(combos)
            for combo in combos[: max(1, count // (2 * len(templates)))]:
                sentence = template.format(**dict(zip(keys, combo, strict=True)))
                if sentence not in made:
                    made.add(sentence)
                    out.append((sentence, topic))

    add("name", ["My name's {n}.", "Everyone calls me {n}.", "I go by {n}.", "Please call me {n}.",
                 "You can call me {n}.", "I'm {n}, by the way.", "The name's {n}.",
                 "Call me {n} from now on.", "My friends call me {n}.", "I'm called {n}."],
        40, n=NAMES)
    add("age", ["I'm {a} years old.", "I just turned {a}.", "I turned {a} last week.",
                "I'm {a} now.", "I'll be {a} in June.", "I'm in my {d}.", "I am {a}."],
        30, a=["23", "29", "41", "52", "67", "38", "45", "19"], d=["twenties", "forties",
                                                                     "sixties", "thirties"])
    add("home", ["I live in {c}.", "We relocated to {c} last year.", "We moved to {c} in the "
                 "autumn.", "I just moved to {c}.", "I'm based in {c}.", "We live just outside "
                 "{c}.", "I've been living in {c} for six years.", "I moved back to {c} in "
                 "March.", "My home is in {c} now.", "We bought a house in {c}.",
                 "I'm renting a flat in {c}.", "Home for me is {c}.", "I grew up in {c} and "
                 "still live there.", "I recently relocated to {c} for work.",
                 "We settled in {c} after the wedding.", "I live near the coast in {c}."],
        64, c=CITIES)
    add("work", ["I work as a {j}.", "I'm a {j}.", "I'm a {j} at a hospital.", "I started a new "
                 "job as a {j}.", "I just got hired as a {j}.", "I've been a {j} for ten years.",
                 "I work nights as a {j}.", "I got promoted to senior {j}.", "I'm a freelance "
                 "{j}.", "I quit my job as a {j}.", "I used to be a {j}, now I teach.",
                 "I'm training to become a {j}.", "I work part-time as a {j}."],
        52, j=JOBS)
    for s in ["I'm retired.", "I work from home most days.", "I run a small bakery.",
              "I'm between jobs right now.", "I was laid off in January.", "I own a bike repair "
              "shop.", "I teach maths at a secondary school.", "I'm a stay-at-home dad.",
              "I just started my own consulting business.", "I work for a shipping company.",
              "I'm on parental leave until May.", "I do night shifts at the warehouse."]:
        out.append((s, "work"))
    add("diet", ["I'm {d} these days.", "I've been {d} since college.", "I went {d} this year.",
                 "I'm {d} now.", "I've been {d} for five years.", "I'm mostly {d}.",
                 "I switched to a {d} diet last month."],
        35, d=["vegan", "vegetarian", "pescatarian", "flexitarian", "plant-based"])
    for s in ["I don't eat pork.", "I stopped eating red meat.", "I keep kosher.", "I eat halal "
              "only.", "I gave up sugar in the new year.", "I don't drink alcohol.",
              "I no longer eat fish.", "I'm doing keto these days.", "I avoid dairy.",
              "I don't eat meat anymore.", "I've cut out caffeine.", "I only eat organic.",
              "I'm trying to eat less meat.", "I fast during Ramadan.", "I don't eat beef.",
              "I stopped drinking soda.", "I eat a low-carb diet.", "I can't eat spicy food.",
              "I'm off gluten for now.", "I quit drinking last year."]:
        out.append((s, "diet"))
    add("allergy", ["I'm allergic to {f}.", "I have a severe {f} allergy.", "I have a {f} "
                    "allergy.", "{F} gives me hives.", "I'm badly allergic to {f}.",
                    "I can't eat {f}, I'm allergic.", "I carry an EpiPen for my {f} allergy.",
                    "I react badly to {f}."],
        40, f=FOODS, F=[f.capitalize() for f in FOODS])
    for s in ["I'm allergic to bee stings.", "I'm allergic to latex.", "I'm allergic to "
              "ibuprofen.", "I'm allergic to cat hair.", "I get hay fever every spring.",
              "I'm allergic to aspirin.", "I have a dust mite allergy.", "I'm lactose "
              "intolerant.", "I'm intolerant to fructose.", "I'm allergic to sulfa drugs."]:
        out.append((s, "allergy"))
    add("health", ["I have {c}.", "I was diagnosed with {c}.", "I've got {c}.", "I live with "
                   "{c}.", "I've had {c} since I was a kid.", "I was just diagnosed with {c}.",
                   "I suffer from {c}."],
        56, c=CONDITIONS)
    for s in ["I'm pregnant.", "I'm recovering from knee surgery.", "I use a wheelchair.",
              "I'm short-sighted.", "I'm hard of hearing.", "I'm on blood thinners.",
              "I take insulin twice a day.", "My doctor told me to cut down on salt.",
              "I broke my wrist last week.", "I can't have caffeine because of my heart.",
              "I'm deaf in one ear.", "I'm partially sighted.", "I stopped smoking last "
              "summer.", "I had my gallbladder removed.", "I'm not supposed to lift heavy "
              "things.", "I have a peanut-free house because of my son."]:
        out.append((s, "health"))
    add("family", ["My {r} lives in {c}.", "My {r} {n} is a nurse.", "My {r} just moved to "
                   "{c}.", "My {r}'s name is {n}.", "My {r} is turning 60 in May.",
                   "I have a {r} called {n}.", "My {r} {n} studies in {c}.", "My {r} and I "
                   "are very close.", "My {r} works in {c}.", "My {r} passed away last year."],
        70, r=RELATIVES, c=CITIES, n=NAMES)
    for s in ["I have three kids.", "We have twins, a boy and a girl.", "I'm an only child.",
              "We're expecting our second child in July.", "I have two older brothers.",
              "My parents are divorced.", "We adopted a little girl last year.",
              "I'm a single mom of two.", "My wife is a chemist.", "My husband works in "
              "finance.", "My partner is from Chile.", "My kids are 4 and 7.",
              "I became a grandfather in May.", "My son started school this month.",
              "My girlfriend's birthday is in August.", "My mother-in-law lives with us."]:
        out.append((s, "family"))
    for s in ["I'm married.", "I got married in June.", "I'm divorced.",
              "I'm single.", "I'm single again.", "My boyfriend and I broke up.",
              "I've been married for twenty years.", "I'm engaged to Ravi.", "We got engaged "
              "over the weekend!", "I'm seeing someone new.", "I'm widowed.",
              "My fiancee and I are getting married next spring.", "I have a girlfriend.",
              "My husband and I separated."]:
        out.append((s, "relationship"))
    add("pets", ["I have {p}.", "We adopted {p}.", "We just got {p}.", "I've got {p} at home.",
                 "I own {p}."], 30, p=PETS)
    for s in ["My cat is called Miso.", "My dog hates thunderstorms.", "Our puppy is ten weeks "
              "old.", "My parrot can say hello.", "My old cat died in the spring.",
              "My dog is a three-year-old husky."]:
        out.append((s, "pets"))
    add("likes", ["I love {t}.", "I really like {t}.", "I'm really into {t}.", "I'm a big fan of "
                  "{t}.", "I adore {t}.", "{T} is my favourite.", "I'm obsessed with {t}.",
                  "I've always loved {t}.", "I enjoy {t}."],
        54, t=THINGS_LIKED, T=[t.capitalize() for t in THINGS_LIKED])
    for s in ["My favourite colour is green.", "My favourite film is Alien.", "My favourite "
              "food is ramen.", "My favorite author is Le Guin.", "My favourite season is "
              "autumn.", "I'm a huge Arsenal supporter.", "I prefer tea to coffee.",
              "I prefer the mountains to the beach.", "I prefer window seats."]:
        out.append((s, "likes"))
    add("dislikes", ["I hate {t}.", "I can't stand {t}.", "I really dislike {t}.",
                     "I don't like {t}.", "I'm not a fan of {t}.", "{T} isn't my thing."],
        36, t=THINGS_LIKED, T=[t.capitalize() for t in THINGS_LIKED])
    for s in ["I hate flying.", "I'm scared of heights.", "I'm afraid of dogs.", "I can't "
              "stand crowds.", "I hate cold weather.", "Loud restaurants stress me out."]:
        out.append((s, "dislikes"))
    add("activities", ["I play {h}.", "I do {h} on weekends.", "I took up {h} last year.",
                       "I've been doing {h} for years.", "I practise {h} every evening.",
                       "I no longer do {h}.", "I gave up {h}.", "I started {h} in January.",
                       "I go to a {h} class on Tuesdays.", "I quit {h} after my injury."],
        64, h=HOBBIES)
    for s in ["I run every morning.", "I swim twice a week.", "I go hiking most weekends.",
              "I volunteer at a food bank.", "I sing in a choir.", "I coach my son's football "
              "team.", "I used to play rugby.", "I don't play golf anymore."]:
        out.append((s, "activities"))
    for s in ["I usually get up at 5.", "I'm an early riser.", "I'm a night person.",
              "I drink two coffees every morning.", "I rarely eat breakfast.", "I walk to "
              "work every day.", "I take the train to work.", "I always go to bed before ten.",
              "I meditate every morning.", "I work out before work.", "I cook at home most "
              "nights.", "I usually take a nap after lunch.", "I never drive at night.",
              "I shop for groceries on Sundays.", "I bike to the office.", "I tend to stay "
              "up late.", "I drink a lot of tea.", "I read before bed every night."]:
        out.append((s, "habits"))
    for s in ["Keep your answers short.", "Please keep your answers concise.", "I prefer bullet "
              "points.", "Always answer me in French, please.", "Please reply in German from "
              "now on.", "Don't use emojis with me.", "I like detailed explanations.",
              "I prefer answers without jargon.", "Please always use metric units.",
              "Use British spelling with me.", "I want short, direct answers.",
              "Please be more formal with me.", "Skip the small talk in your answers.",
              "I like it when you give examples.", "Always show the sources you use.",
              "Keep it casual with me, please.", "I prefer answers in Dutch.",
              "Please always give me the short version first.", "From now on, answer in "
              "plain English.", "I don't like long answers.", "Please don't use bullet "
              "points in your replies.", "Write your answers in Spanish from now on.",
              "I prefer step-by-step instructions.", "Please stop using exclamation marks.",
              "Talk to me like a friend, not a robot.", "Always use Celsius for me.",
              "I'd rather you didn't sugarcoat things.", "Please answer in one paragraph "
              "at most.", "Keep your responses under five sentences."]:
        out.append((s, "style"))
    add("language", ["I speak {l}.", "I'm fluent in {l}.", "My first language is {l}.",
                     "I'm a native {l} speaker.", "I grew up speaking {l}.", "I speak {l} "
                     "at home."], 30, l=LANGS)
    add("learning", ["I'm learning {l}.", "I've been studying {l} for a year.", "I'm taking "
                     "{l} classes.", "I started learning {l} this spring."], 24, l=LANGS)
    for s in ["I'm doing a master's in biology.", "I'm studying for my driving test.",
              "I'm learning to code in Rust.", "I'm taking an evening course in accounting.",
              "I'm teaching myself the piano.", "I'm in my second year of law school."]:
        out.append((s, "learning"))
    for s in ["My birthday is on 12 October.", "My birthday's in February.", "I was born on "
              "the 3rd of July.", "I was born in 1988.", "My birthday is next Tuesday.",
              "I was born on Christmas Day."]:
        out.append((s, "birthday"))
    for s in ["I'm training for a triathlon this autumn.", "I'm saving up for a house.",
              "We're going to Peru in October.", "I'm planning to retire next year.",
              "I have a job interview on Monday.", "I want to run a marathon this year.",
              "I'm trying to lose ten kilos.", "We're moving to Austin in the summer.",
              "I'm getting surgery next month.", "I'm hoping to finish my thesis by June.",
              "I'm planning a trip to Iceland in spring.", "I have a dentist appointment "
              "tomorrow.", "I'm going to start a PhD in September.", "My goal is to read "
              "fifty books this year.", "We're renovating our kitchen this summer."]:
        out.append((s, "plans"))
    for s in ["I drive an electric car.", "I have an old Honda.", "My laptop is a ThinkPad.",
              "I use an iPhone.", "I own a cargo bike.", "We have a small garden.",
              "I have a standing desk.", "My phone is an ancient Nokia.", "I don't own a "
              "car.", "We have a piano at home.", "I ride a vintage Vespa.", "My camera is "
              "a Fujifilm."]:
        out.append((s, "things"))
    for s in ["I'm colourblind.", "I'm left-handed.", "I'm an introvert.", "I'm very tall.",
              "I'm a morning person.", "I'm a Buddhist.", "I'm an atheist.", "I'm Catholic.",
              "I'm a US citizen.", "I'm originally from Ghana.", "I'm dyslexic.",
              "I'm a huge introvert and hate parties.", "I'm on a tight budget this year.",
              "I don't have a car, so I cycle everywhere.", "I'm a twin.", "I'm vegan and I "
              "live alone."]:
        out.append((s, "other" if "budget" not in s else "other"))
    return out


def non_facts() -> list[str]:
    """What is not a statement about the user, including what mentions the user's life."""
    r = random.Random(71)
    out: list[str] = []
    verbs = ["Write", "Draft", "Compose", "Create", "Make", "Plan", "Suggest", "Give me",
             "Find", "List", "Recommend", "Prepare", "Put together", "Come up with"]
    objects = ["a thank-you note for my {r}", "a toast for my {r}'s wedding", "a shopping list "
               "for a vegan dinner", "a packing list for {c}", "a workout plan for my {r}",
               "a birthday poem for my {r}", "some gift ideas for my {r}", "a menu for a "
               "peanut-free party", "an email to my boss about a day off", "a text to my "
               "{r} saying I'll be late", "a weekend itinerary for {c}", "a bedtime story "
               "for my {r}", "a cover letter for a {j} job", "three names for a cat",
               "a recipe with chickpeas", "a caption for my holiday photo", "a short bio for "
               "a {j}", "a study schedule for my exams", "a list of films for a rainy day",
               "a message to my landlord about the boiler", "a lunch box idea for my {r}",
               "a limerick about {c}", "questions to ask at a {j} interview",
               "a playlist for a road trip", "a card for my {r}'s retirement"]
    for v, o in r.sample(list(itertools.product(verbs, objects)), 90):
        sentence = f"{v} {o}.".format(r=r.choice(RELATIVES), c=r.choice(CITIES),
                                      j=r.choice(JOBS))
        if r.random() < 0.2:
            sentence = "Please " + sentence[0].lower() + sentence[1:]
        out.append(sentence)
    out += ["Explain how compound interest works.", "Summarise this article for me.",
            "Translate 'where is the station' into Polish.", "Tell me a fun fact.",
            "Tell me a story about a dragon.", "Remind me to call my mum at six.",
            "Set a timer for ten minutes.", "Convert 5 miles to kilometres.", "Show me how to "
            "tie a tie.", "Help me plan a birthday party for my son.", "Help me with my tax "
            "return.", "Book a table for two on Friday.", "Check my spelling in this "
            "paragraph.", "Describe the water cycle.", "Define the word 'serendipity'.",
            "Compare the iPhone and the Pixel.", "Quiz me on French verbs.", "Send my sister "
            "a reminder about the dinner.", "Rewrite this to sound friendlier.", "Fix the "
            "grammar in my essay.", "Outline a talk on climate change.", "Brainstorm names "
            "for my bakery.", "Look up the opening hours of the museum.", "Ask my wife if "
            "she wants pizza.", "Tell my brother happy birthday from me.", "Order more dog "
            "food.", "Please find a vegetarian restaurant near me.", "Please explain "
            "photosynthesis simply.", "Keep going.", "Continue the story.", "Go on.",
            "Make it longer.", "Make it funnier.", "Shorter, please.",
            "Try again.", "One more time, but in French.", "Add more detail to the second "
            "point.", "Use simpler words this time.", "Rewrite that as a haiku.",
            "Say that again more slowly.", "Put that in a table.", "Give me another one.",
            "Now do the same for Tuesday.", "Remove the last paragraph.", "Turn this into a "
            "tweet.", "Repeat the last answer.", "Stop.", "Cancel that."]
    questions = ["What's the weather like in {c}?", "How do I cook risotto?", "Can you help "
                 "me write a speech?", "Could you suggest a good podcast?", "What should I "
                 "cook for my {r}?", "Where can I buy cheap flights to {c}?", "How long does "
                 "it take to learn {l}?", "Is it safe to eat raw eggs?", "What's a good gift "
                 "for a {j}?", "Do you know any good jokes?", "Why is the sky blue?",
                 "Which is healthier, rice or pasta?", "Who won the World Cup in 2010?",
                 "When does the sun set today?", "How many calories are in an avocado?",
                 "What's the local time in {c} right now?", "Should I take an umbrella tomorrow?", "Can I "
                 "freeze cooked rice?", "What do vegans eat for protein?", "How do you say "
                 "thank you in {l}?", "Are you able to read PDFs?", "What's my name?",
                 "Where do I live?", "Do I have any allergies?", "What did I tell you "
                 "about my {r}?", "Is {c} expensive to live in?", "How far is {c} from the "
                 "sea?", "What's a good name for a puppy?", "Would you recommend {c} for a "
                 "holiday?", "Do you have feelings?", "Are you a robot?", "What are you?",
                 "Can you remember things?", "Which {l} words should I learn first?",
                 "What can I make with leftover chicken?", "How do I get my {r} to sleep "
                 "earlier?", "Is it rude to be late to a wedding?", "What should I wear to a "
                 "job interview?", "Any tips for a long flight?", "Thoughts on electric "
                 "cars?", "What's the best way to learn {l}?", "how do i unblock a sink",
                 "whats a good recipe for lentil soup", "can you tell me more about {c}",
                 "any idea what to get my {r} for christmas", "Do you think I should "
                 "change jobs?", "What if it rains on Saturday?", "Is there a pharmacy open "
                 "now?", "Which city is the capital of Kenya?", "How does a heat pump work?"]
    for q in questions:
        out.append(q.format(r=r.choice(RELATIVES), c=r.choice(CITIES), l=r.choice(LANGS),
                            j=r.choice(JOBS)))
    out += ["I need a recipe for banana bread.", "I need help writing a wedding speech.",
            "I'd like a poem about autumn.", "I want you to write a limerick.", "I want a "
            "list of cheap date ideas.", "I'm looking for a good thriller to read.",
            "I was wondering if you could help me with my CV.", "I need some ideas for my "
            "sister's birthday.", "I'd love some tips on public speaking.", "I need to "
            "write an email to my landlord.", "I need a name for my new puppy.", "I'm "
            "trying to decide between two laptops.", "I'd like to know more about black "
            "holes.", "I need a gift for my dad.", "I want to know how tides work.",
            "I'm curious about how vaccines are made.", "I'm not sure what to cook tonight.",
            "I wonder what the weather will be like.", "I don't know what to get my mum.",
            "I need a quick dinner idea.", "I'd appreciate a summary of that article.",
            "I want to see the recipe again."]
    hypothetical = ["If I were a {j}, what would my day look like?", "If I lived in {c}, "
                    "where would I shop?", "Imagine I'm a {j} on my first day.", "Suppose I "
                    "moved to {c}, what would I miss?", "What if I became vegan tomorrow?",
                    "Let's say I'm allergic to {f}, what could I eat?", "Assume I have two "
                    "kids and a dog.", "Pretend I live in {c}.", "If I had a million "
                    "dollars, I'd buy an island.", "If I quit my job, how would I pay rent?",
                    "Imagine my {r} was a superhero.", "Say I'm a beginner at {h}.",
                    "In a world where I could fly, I'd visit {c}.", "Hypothetically, if I "
                    "were married, what would change?", "If I ever moved to {c}, I'd learn "
                    "the language.", "Imagine you're my {r} and I'm asking for advice.",
                    "Suppose my {r} lived in {c}.", "If I were ten years younger I'd travel "
                    "more.", "Let's pretend I'm a {j}.", "What would happen if I stopped "
                    "eating sugar?", "Picture me as a {j}.", "Just imagine I'm the boss.",
                    "If my {r} asks, say I'm busy.", "Consider a person who lives in {c}."]
    for h in hypothetical:
        out.append(h.format(j=r.choice(JOBS), c=r.choice(CITIES), f=r.choice(FOODS),
                            r=r.choice(RELATIVES), h=r.choice(HOBBIES)))
    role = ["Pretend that you work as a {j}.", "Act as my {r}.", "You are a medieval knight.",
            "Let's play a game where you are a detective.", "Roleplay as a grumpy {j}.",
            "Be my personal trainer for a moment.", "Pretend you're a tour guide in {c}.",
            "You're a chef and I'm your customer.", "Act like a pirate for the rest of this "
            "chat.", "Play the role of a job interviewer.", "Speak as if you were Shakespeare.",
            "You are now a travel agent in {c}.", "Pretend I'm your boss.", "Let's role-play: "
            "I'm a tourist and you're a local.", "Imagine you are a cat.", "Take on the "
            "persona of a sports commentator.", "Answer as if you were my {r}.",
            "Pretend to be a {j} explaining your job.", "Be a wizard and give me a quest.",
            "From now on you're a grumpy robot."]
    for x in role:
        out.append(x.format(j=r.choice(JOBS), r=r.choice(RELATIVES), c=r.choice(CITIES)))
    reported = ["My {r} says hello.", "My {r} said she's moving to {c}.", "My friend told me "
                "she's vegan.", "My {r} thinks I should get a dog.", "My colleague said the "
                "meeting is cancelled.", "He told me 'I live in {c}'.", "She said: I hate "
                "Mondays.", "My boss says I work too much.", "The waiter said the soup "
                "was vegan.", "My neighbour told me his cat is missing.", "Someone online "
                "wrote 'I am a {j}'.", "My {r} wants to know if you can help.",
                "The doctor on TV said coffee is fine.", "My {r} asked what you think.",
                "My kids say you're funny.", "A friend of mine is allergic to {f}.",
                "My {r} keeps saying I should learn {l}.", "The article says {c} is "
                "cheap.", "Tom said 'I'm engaged!'", "My {r} says thanks for the recipe.",
                "My teacher said I'm good at maths.", "They told me the train is late.",
                "Quote: 'I have never been to {c}.'", "The character says \"I am your "
                "father\".", "My {r} is asking about the party."]
    for x in reported:
        out.append(x.format(r=r.choice(RELATIVES), c=r.choice(CITIES), j=r.choice(JOBS),
                            f=r.choice(FOODS), l=r.choice(LANGS)))
    out += ["Thanks!", "Thank you so much.", "Thanks, that's perfect.", "Good morning!",
            "Good night.", "Hello!", "Hi there.", "Hey, how are you?", "That's great.",
            "Awesome, cheers.", "lol", "Nice one.", "Ok cool.", "Okay.", "Sure.", "Yes please.",
            "No thanks.", "You're the best.", "Have a nice day!", "Sorry, my mistake.",
            "Never mind.", "Hmm, interesting.", "Great, thanks a lot!", "Perfect, that "
            "helps.", "That was useful, thank you.", "Haha, good one.", "Wow.", "See you "
            "later.", "Bye!", "Cool, thanks!", "That's not what I meant.", "I see.",
            "I understand.", "I agree.", "I think so.", "I guess that works.", "I don't "
            "know.", "I meant the other one.", "I was joking.", "I'm back.", "I'm just "
            "testing you.", "I changed my mind.", "I'll think about it.", "I'll try that.",
            "I get it now.", "I like that answer.", "I love this idea!", "I hate to bother "
            "you again.", "I'm so tired today.", "I'm bored.", "I'm hungry right now.",
            "I'm in a hurry.", "I'm confused.", "I have a question.", "I have another "
            "question about that.", "I have no idea.", "I hope you're well.", "My bad.",
            "My pleasure.", "My question is about taxes.", "My point was different.",
            "Oh my god, that's hilarious.", "Good job.", "Well done.", "Not bad."]
    out += ["The meeting is on Friday.", "Paris is the capital of France.", "Water boils at "
            "100 degrees.", "It's raining here.", "The train was late again.",
            "Dinner is at eight.", "The store closes at nine.", "This recipe needs eggs.",
            "That movie was long.", "The report is due tomorrow.", "Here is my essay: "
            "the industrial revolution began in Britain.", "Summarise: the budget was "
            "approved.", "Proofread: 'I has a dog.'", "Translate: 'I live in a small "
            "town.'", "Correct this sentence: me and him went to the shop.", "Write a story "
            "where I am a dragon.", "Write a song in which my dog is the hero.", "Tell a "
            "tale about my grandmother's village.", "Write a poem where I live under the "
            "sea.", "Draft a dialogue where I'm a spy.", "Create a fairy tale where my "
            "sister becomes queen.", "Describe a day in which I am an astronaut."]
    return out


def main() -> None:
    data = {
        "about": "Sentences written for LampDesk's statement classifier (not from any "
        "evaluation set): is_fact says whether the user states something lasting about "
        "themselves; topic is the memory topic of a fact.",
        "examples": [{"text": t, "is_fact": True, "topic": topic} for t, topic in facts()]
        + [{"text": t, "is_fact": False} for t in non_facts()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    n = len(data["examples"])
    f = sum(e["is_fact"] for e in data["examples"])
    print(f"{n} examples ({f} facts, {n - f} not) -> {OUT}")


if __name__ == "__main__":
    main()
