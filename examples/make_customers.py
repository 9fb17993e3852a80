"""Write examples/customers.csv: seeded customer fragments with duplicates, plus the truth.

Each person appears 1-4 times, as a CRM export would hold them after years of sign-ups from
several channels: typed names with typos and nicknames, e-mails in other case, phones in other
formats, missing values. ``customers_truth.csv`` maps each record to its person.

    python examples/make_customers.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from identilink.normalize.names import VARIANTS

FIRST = [
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "christopher",
    "lisa",
    "daniel",
    "nancy",
    "matthew",
    "betty",
    "anthony",
    "margaret",
    "mark",
    "sandra",
    "donald",
    "ashley",
    "steven",
    "kimberly",
    "paul",
    "emily",
    "andrew",
    "donna",
    "joshua",
    "michelle",
    "kenneth",
    "carol",
    "kevin",
    "amanda",
    "brian",
    "melissa",
    "george",
    "deborah",
    "timothy",
    "stephanie",
    "ronald",
    "rebecca",
    "edward",
    "sharon",
    "jason",
    "laura",
    "jeffrey",
    "cynthia",
    "ryan",
    "kathleen",
    "jacob",
    "amy",
]
LAST = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "kowalczyk",
    "oconnor",
    "fitzgerald",
    "nakamura",
    "okafor",
    "lindqvist",
]
NICK = {name: variants[0] for name, variants in VARIANTS.items()}
STREETS = [
    "oak",
    "maple",
    "cedar",
    "pine",
    "elm",
    "washington",
    "lake",
    "hill",
    "park",
    "river",
    "spring",
    "church",
]
TYPES = [("street", "st"), ("avenue", "ave"), ("road", "rd"), ("drive", "dr")]
CITIES = [
    ("springfield", "62701"),
    ("riverton", "82501"),
    ("fairview", "37062"),
    ("greenville", "29601"),
    ("madison", "53703"),
    ("georgetown", "78626"),
]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "aol.com"]


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    op = rng.choice(["swap", "drop", "double", "replace"])
    if op == "swap":
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if op == "drop":
        return text[:i] + text[i + 1 :]
    if op == "double":
        return text[:i] + text[i] + text[i:]
    return text[:i] + rng.choice("aeiourstln") + text[i + 1 :]


def main(n_people: int = 400, seed: int = 7) -> None:
    rng = random.Random(seed)
    out = Path(__file__).with_name("customers.csv")
    truth = Path(__file__).with_name("customers_truth.csv")
    rows, links = [], []
    rid = 1000
    for person in range(n_people):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        year = rng.randint(1940, 2004)
        dob = (year, rng.randint(1, 12), rng.randint(1, 28))
        user = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{year % 100}"])
        email = f"{user}@{rng.choice(DOMAINS)}"
        digits = f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(1000, 9999)}"
        street = f"{rng.randint(1, 999)} {rng.choice(STREETS)} {rng.choice(TYPES)[0]}"
        city, zipcode = rng.choice(CITIES)
        for copy in range(rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]):
            fn, ln, em, ph, st = first, last, email, digits, street
            if copy:
                r = rng.random()
                if r < 0.25:
                    fn = typo(fn, rng)
                elif r < 0.4:
                    ln = typo(ln, rng)
                elif r < 0.5 and first in NICK:
                    fn = NICK[first]
                if rng.random() < 0.3:
                    em = em.upper() if rng.random() < 0.5 else ""
                if rng.random() < 0.3:
                    st = " ".join([*street.split()[:-1], dict(TYPES)[street.split()[-1]]])
            fmt = rng.choice(["({}) {}-{}", "{}-{}-{}", "+1 {} {} {}", "{}{}{}"])
            phone = fmt.format(ph[:3], ph[3:6], ph[6:]) if rng.random() > 0.15 else ""
            date = rng.choice(["{0:04d}-{1:02d}-{2:02d}", "{1:02d}/{2:02d}/{0:04d}"]).format(*dob)
            rows.append(
                {
                    "customer_id": f"C{rid}",
                    "first_name": fn.title(),
                    "last_name": ln.title(),
                    "email": em,
                    "phone": phone,
                    "date_of_birth": date if rng.random() > 0.1 else "",
                    "street": st.title(),
                    "city": city.title(),
                    "zip": zipcode,
                }
            )
            links.append({"customer_id": f"C{rid}", "person": person})
            rid += 1
    order = list(range(len(rows)))
    rng.shuffle(order)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows[i] for i in order)
    with truth.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["customer_id", "person"])
        w.writeheader()
        w.writerows(links[i] for i in order)


if __name__ == "__main__":
    main()
