#!/usr/bin/env python3
"""Writes a synthetic Leicestershire Communities site for build benchmarks.

Usage: gen_corpus.py OUT --pages N [--seed S] [--flavor communities|hugo]

OUT gets a whole site: N pages (about 60 % case studies, 25 % resources, a third
of them page bundles with an attachment, 15 % annual report sections over several
years, a few plain pages), plus every section's and every report year's _index.md,
and the site's configuration. Bodies are 3-6 KB of Markdown: headings, lists,
emphasis, tables, links to other pages, a yaml or json code block in one page in ten.

Both flavors hold the same text for the same --pages and --seed; only the front
matter layout, the link syntax and the configuration file differ:
  communities  site.yaml, our content models, links as [text](@/case-studies/x.md)
  hugo         hugo.toml, taxonomies as lists (areas: [charnwood]), the other model
               fields under params:, links as [text]({{< ref "case-studies/x.md" >}})

Python 3 standard library only.
"""

import argparse
import json
import os
import random
import shutil
import sys
from datetime import date, timedelta

# Places by district; the keys are the allowed values of `area`.
AREAS = {
    "blaby": ["Blaby", "Braunstone Town", "Cosby", "Countesthorpe", "Enderby", "Glenfield",
              "Huncote", "Kirby Muxloe", "Narborough", "Sapcote", "Stoney Stanton", "Whetstone"],
    "charnwood": ["Anstey", "Barrow upon Soar", "Birstall", "Quorn", "Loughborough",
                  "Mountsorrel", "Rothley", "Shepshed", "Sileby", "Syston", "Hathern",
                  "Woodhouse Eaves", "Wymeswold"],
    "harborough": ["Market Harborough", "Lutterworth", "Broughton Astley", "Fleckney",
                   "Great Glen", "Kibworth", "Billesdon", "Husbands Bosworth", "Scraptoft",
                   "South Kilworth", "Ullesthorpe"],
    "hinckley-and-bosworth": ["Hinckley", "Burbage", "Barwell", "Earl Shilton",
                              "Market Bosworth", "Desford", "Groby", "Markfield", "Ratby",
                              "Botcheston", "Stoke Golding", "Newbold Verdon"],
    "melton": ["Melton Mowbray", "Asfordby", "Bottesford", "Waltham on the Wolds",
               "Long Clawson", "Somerby", "Old Dalby", "Wymondham"],
    "north-west-leicestershire": ["Coalville", "Ashby-de-la-Zouch", "Castle Donington",
                                  "Kegworth", "Ibstock", "Measham", "Whitwick", "Moira",
                                  "Diseworth", "Swannington"],
    "oadby-and-wigston": ["Oadby", "Wigston", "South Wigston", "Wigston Magna"],
    "countywide": ["Leicestershire"],
}
DISTRICTS = [places for area, places in AREAS.items() if area != "countywide"]
PRINCIPLES = ["prevention", "participation", "catalysts"]
APPROACHES = ["asset-based", "social-action"]
OUTCOMES = ["clean-and-green", "great-communities", "improving-opportunities",
            "safe-and-well", "strong-economy"]
ASSETS = ["personal", "social", "community", "neighbourhood"]
KINDS = ["guide", "practical-example", "research", "toolkit", "report"]
TAGS = ["covid-19", "village-halls", "food", "volunteering", "young-people", "older-people",
        "loneliness", "libraries", "parks", "climate", "litter", "transport", "heritage",
        "mental-health", "digital-inclusion", "funding", "governance", "parish-councils",
        "neighbourhood-planning", "sport", "arts", "allotments", "carers", "employment",
        "skills", "housing", "flooding", "energy", "wildlife", "footpaths", "pubs", "shops",
        "churches", "schools", "families", "dementia", "veterans", "refugees", "befriending",
        "cafes", "tree-planting", "recycling", "cycling", "walking", "music", "history"]

PROJECTS = ["community shop", "village hall", "repair cafe", "litter pick", "befriending scheme",
            "community library", "warm space", "food bank", "community fridge", "men's shed",
            "youth club", "lunch club", "community orchard", "wildflower meadow", "dementia cafe",
            "good neighbour scheme", "community bus", "heritage trail", "allotment society",
            "walking group", "parish newsletter", "digital drop-in", "job club", "toy library",
            "community pub", "play area", "flood warden team", "tool library", "choir",
            "pocket park", "speedwatch group", "cycle hub", "community garden", "book swap"]
GROUPS = ["older residents", "young people", "families with young children", "carers",
          "people living alone", "new arrivals", "veterans", "people with disabilities",
          "local businesses", "school leavers", "parish councillors", "volunteers",
          "people on low incomes", "farmers", "commuters", "students", "grandparents"]
ORGS = ["Parish Council", "Community Association", "Village Hall Committee", "Residents' Group",
        "Friends of the Park", "Community Trust", "Women's Institute", "Rotary Club",
        "Neighbourhood Forum", "Heritage Society", "Scout Group", "Community Interest Company",
        "Tenants' Association", "Allotment Society", "Good Neighbour Scheme"]
FUNDERS = ["the Communities Fund", "the SHIRE Community Grants", "the National Lottery",
           "the parish precept", "a crowdfunding appeal", "the Rural Community Council",
           "the Business Recovery Fund", "a district council grant", "local sponsorship",
           "the Big Local programme", "the Heritage Fund", "a coffee morning appeal"]
VERBS = ["set up", "ran", "organised", "restored", "opened", "launched", "supported",
         "trained", "mapped", "funded", "renovated", "revived", "extended", "promoted",
         "shared", "celebrated", "coordinated", "planted", "built", "redesigned"]
ADJECTIVES = ["small", "busy", "friendly", "welcoming", "rural", "historic", "growing",
              "practical", "informal", "lasting", "inclusive", "ambitious", "modest",
              "volunteer-led", "weekly", "monthly", "seasonal", "accessible", "affordable"]
NOUNS = ["residents' survey", "committee", "grant", "trustee board", "newsletter", "survey",
         "workshop", "kitchen", "minibus", "rota", "website", "noticeboard", "toolkit", "lease",
         "insurance", "safeguarding policy", "volunteer handbook", "risk assessment", "business plan", "bank account",
         "constitution", "annual meeting", "open day", "launch event", "training session"]
RESULTS = ["fewer people felt isolated", "more residents got involved",
           "the building stayed open through the winter", "local spending went up",
           "young people found work placements", "the green spaces were cleaner",
           "waiting lists got shorter", "new volunteers joined every month",
           "the group became self-funding", "neighbours got to know each other",
           "older people stayed independent for longer", "the scheme spread to nearby villages"]
FIRST = ["Alice", "Bhavna", "Colin", "Deepak", "Eileen", "Fatima", "Gareth", "Harjit",
         "Irene", "James", "Kiran", "Linda", "Mohammed", "Nora", "Owen", "Priya", "Rachel",
         "Sanjay", "Tom", "Una", "Vikram", "Wendy", "Yusuf", "Zoe"]
SURNAMES = ["Patel", "Smith", "Jones", "Mistry", "Taylor", "Brown", "Khan", "Walker",
            "Wright", "Chauhan", "Hughes", "Green", "Hall", "Parmar", "Wood", "Clarke"]
ROLES = ["Communities Officer", "Team Leader", "Volunteering Lead", "Grants Officer",
         "Parish Liaison Officer", "Policy Officer", "Project Coordinator"]

PLAIN_PAGES = [("about", "About this site"), ("get-involved", "Get involved"),
               ("grants", "Grants and funding"), ("help", "Help using this site"),
               ("contact", "Contact the Communities team")]


def a(word):
    return ("an " if word[0] in "aeiou" else "a ") + word


def slugify(text):
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in out.split("-") if p)


class Writer:
    """Builds page text from one random stream; flavors format the same text."""

    def __init__(self, rng):
        self.rng = rng

    def pick(self, seq):
        return self.rng.choice(seq)

    def place(self):
        return self.pick(self.pick(DISTRICTS))

    def sentence(self):
        r = self.rng
        p, g, v = self.pick(PROJECTS), self.pick(GROUPS), self.pick(VERBS)
        adj, n, o = self.pick(ADJECTIVES), self.pick(NOUNS), self.pick(ORGS)
        forms = [
            f"The {self.place()} {o} {v} {a(adj)} {p} for {g}.",
            f"Volunteers {v} the {n} with help from {self.pick(FUNDERS)}.",
            f"Within {r.randint(2, 18)} months {self.pick(RESULTS)}.",
            f"{self.pick(FIRST)} {self.pick(SURNAMES)}, who chairs the {o}, said the {p} "
            f"had changed how {g} saw {self.place()}.",
            f"About {r.randint(5, 400)} {g} now use the {p} each {self.pick(['week', 'month', 'term'])}.",
            f"The {n} was the hardest part, so the group asked the county council for advice.",
            f"Because the {p} is {adj}, {g} can drop in without booking.",
            f"The {o} kept {a(n)} so that the work did not depend on one person.",
            f"Running costs of £{r.randint(1, 90) * 50:,} a year are met by {self.pick(FUNDERS)}.",
            f"Other villages, such as {self.place()} and {self.place()}, have since {v} similar schemes.",
        ]
        return self.pick(forms)

    def paragraph(self, emphasis=True):
        words = [self.sentence() for _ in range(self.rng.randint(3, 6))]
        if emphasis and self.rng.random() < 0.5:
            i = self.rng.randrange(len(words))
            mark = "**" if self.rng.random() < 0.5 else "*"
            words[i] = f"{mark}{words[i][:-1]}{mark}."
        return " ".join(words)

    def bullets(self):
        items = [f"{self.pick(VERBS)} the {self.pick(ADJECTIVES)} {self.pick(NOUNS)} with {self.pick(GROUPS)}"
                 for _ in range(self.rng.randint(3, 6))]
        return "\n".join(f"- {i}" for i in items)

    def numbered(self):
        steps = [f"Agree who will look after the {self.pick(NOUNS)}.",
                 f"Talk to {self.pick(GROUPS)} about what they need.",
                 f"Check whether {self.pick(FUNDERS)} can help.",
                 f"Book the {self.pick(PROJECTS)} for {a(self.pick(ADJECTIVES))} first session.",
                 f"Write down what worked and share it with the {self.pick(ORGS)}.",
                 f"Review the {self.pick(NOUNS)} after {self.rng.randint(3, 12)} months."]
        self.rng.shuffle(steps)
        return "\n".join(f"{i}. {s}" for i, s in enumerate(steps[:self.rng.randint(3, 6)], 1))

    def table(self):
        r = self.rng
        if r.random() < 0.5:
            head = "| Year | Volunteers | Hours given | People helped |\n| --- | ---: | ---: | ---: |"
            start = r.randint(2012, 2022)
            rows = [f"| {y}-{(y + 1) % 100:02d} | {r.randint(5, 300)} | {r.randint(100, 9000):,} "
                    f"| {r.randint(20, 4000):,} |" for y in range(start, start + r.randint(3, 5))]
        else:
            head = "| Item | Cost | Paid by |\n| --- | ---: | --- |"
            rows = [f"| {self.pick(NOUNS).capitalize()} | £{r.randint(2, 400) * 25:,} | "
                    f"{self.pick(FUNDERS)} |" for _ in range(r.randint(3, 6))]
        return head + "\n" + "\n".join(rows)

    def code(self):
        r = self.rng
        if r.random() < 0.5:
            days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
            lines = ["rota:"]
            for d in r.sample(days, 3):
                lines += [f"  - day: {d}", f"    volunteer: {self.pick(FIRST)} {self.pick(SURNAMES)}",
                          f"    task: {self.pick(NOUNS)}"]
            return "```yaml\n" + "\n".join(lines) + "\n```"
        data = {"group": f"{self.place()} {self.pick(ORGS)}",
                "grant": r.randint(5, 200) * 100,
                "funder": self.pick(FUNDERS),
                "outcomes": r.sample(OUTCOMES, 2)}
        return "```json\n" + json.dumps(data, indent=2) + "\n```"

    def link_paragraph(self, targets):
        """A paragraph with links; a link is written \x00path\x00 until the flavor formats it."""
        parts = []
        for path, title in self.rng.sample(targets, min(len(targets), self.rng.randint(1, 3))):
            parts.append(f"See also [{title}](\x00{path}\x00), where {self.pick(RESULTS)}.")
        return " ".join(parts)

    def body(self, targets, with_code):
        r = self.rng
        target_len = r.randint(2400, 4800)
        headings = ["Background", "What happened", "How it started", "Who took part", "Funding",
                    "What changed", "What we learned", "Next steps", "Getting started",
                    "Working with the parish council", "Keeping it going", "Advice for other groups"]
        r.shuffle(headings)
        blocks = []
        extras = ["bullets", "numbered", "table", "links"] + (["code"] if with_code else [])
        r.shuffle(extras)
        size = 0
        h = 0
        while size < target_len:
            title = headings[h % len(headings)] + (f" ({h // len(headings) + 1})" if h >= len(headings) else "")
            h += 1
            section = [f"## {title}", self.paragraph()]
            if extras:
                kind = extras.pop()
                section.append({"bullets": self.bullets, "numbered": self.numbered,
                                "table": self.table, "code": self.code,
                                "links": lambda: self.link_paragraph(targets)}[kind]())
            if r.random() < 0.4:
                section += [f"### {self.pick(PROJECTS).capitalize()} in {self.place()}", self.paragraph()]
            section.append(self.paragraph())
            text = "\n\n".join(section)
            blocks.append(text)
            size += len(text) + 2
        # Whatever did not fit is added at the end, so every page has its lists, table and links.
        for kind in extras:
            blocks.append({"bullets": self.bullets, "numbered": self.numbered, "table": self.table,
                           "code": self.code, "links": lambda: self.link_paragraph(targets)}[kind]())
        return "\n\n".join(blocks) + "\n"


def plan(pages, rng):
    """Paths and titles of every page, decided before any body so links can reach them all."""
    plain = PLAIN_PAGES[:min(len(PLAIN_PAGES), max(1, pages // 100))]
    rest = pages - len(plain)
    n_case = round(rest * 0.60 / 0.95)
    n_res = round(rest * 0.25 / 0.95)
    n_report = rest - n_case - n_res
    years = [f"{y}-{(y + 1) % 100:02d}" for y in range(2025 - max(3, min(20, n_report // 40)) + 1, 2026)]
    used = set()

    def unique(base):
        slug, i = base, 2
        while slug in used:
            slug, i = f"{base}-{i}", i + 1
        used.add(slug)
        return slug

    case_studies = []
    for _ in range(n_case):
        area = rng.choice(list(AREAS))
        place = rng.choice(AREAS[area])
        project = rng.choice(PROJECTS)
        title = f"{place} {project}"
        case_studies.append({"path": f"case-studies/{unique(slugify(title))}.md", "title": title[0].upper() + title[1:],
                             "area": area, "place": place, "project": project})
    resources = []
    for i in range(n_res):
        kind = rng.choice(KINDS)
        subject = f"{rng.choice(PROJECTS)} {rng.choice(['for beginners', 'checklist', 'explained', 'in practice', 'handbook', 'survey results', 'funding guide'])}"
        slug = unique(slugify(subject))
        bundle = i % 3 == 0
        path = f"resources/{slug}/index.md" if bundle else f"resources/{slug}.md"
        resources.append({"path": path, "title": subject[0].upper() + subject[1:], "kind": kind, "bundle": bundle})
    sections = []
    for i in range(n_report):
        year = years[i % len(years)]
        topic = rng.choice(PROJECTS + NOUNS)
        title = f"{topic[0].upper() + topic[1:]} {rng.choice(['programme', 'support', 'review', 'partnership', 'grants'])}"
        slug = slugify(title)
        sections.append({"path": f"annual-report/{year}/{slug}-{i // len(years) + 1}.md",
                         "title": title, "year": year, "weight": i // len(years) + 1})
    return plain, case_studies, resources, sections, years


def random_date(rng, start_year=2015, end_year=2026):
    start = date(start_year, 1, 1)
    return start + timedelta(days=rng.randrange((date(end_year, 10, 31) - start).days))


def tiny_pdf(title):
    """A small valid one-page PDF, so attachments are real files of a realistic type."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def yaml_str(value):
    return json.dumps(value, ensure_ascii=False)


def yaml_value(value, indent=""):
    """YAML for the few shapes front matter uses: text, numbers, lists of text, lists of records."""
    if isinstance(value, list):
        if not value:
            return " []"
        if isinstance(value[0], dict):
            lines = []
            for record in value:
                first = True
                for k, v in record.items():
                    lines.append(f"{indent}{'- ' if first else '  '}{k}: {yaml_str(v) if isinstance(v, str) else v}")
                    first = False
            return "\n" + "\n".join(lines)
        return " [" + ", ".join(yaml_str(v) for v in value) + "]"
    if isinstance(value, bool):
        return " true" if value else " false"
    if isinstance(value, int):
        return f" {value}"
    return " " + yaml_str(value)


# Fields that are Hugo taxonomies, with the plural key Hugo reads them from.
HUGO_TAXONOMIES = {"area": "areas", "principles": "principles", "approaches": "approaches",
                   "outcomes": "outcomes", "tags": "tags"}
# Fields Hugo knows at the top level of front matter; the rest go under params.
HUGO_TOP = {"title", "summary", "date", "draft", "slug", "aliases", "weight"}


def front_matter(fields, flavor):
    lines = ["---"]
    if flavor == "communities":
        for k, v in fields.items():
            lines.append(f"{k}:{yaml_value(v, '  ')}")
    else:
        params = {}
        for k, v in fields.items():
            if k in HUGO_TAXONOMIES:
                lines.append(f"{HUGO_TAXONOMIES[k]}:{yaml_value(v if isinstance(v, list) else [v])}")
            elif k == "updated":
                lines.append(f"lastmod:{yaml_value(v)}")
            elif k in HUGO_TOP:
                lines.append(f"{k}:{yaml_value(v, '  ')}")
            else:
                params[k] = v
        if params:
            lines.append("params:")
            lines += [f"  {k}:{yaml_value(v, '    ')}" for k, v in params.items()]
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def format_links(body, flavor):
    parts = body.split("\x00")
    for i in range(1, len(parts), 2):
        parts[i] = f"@/{parts[i]}" if flavor == "communities" else f'{{{{< ref "{parts[i]}" >}}}}'
    return "".join(parts)


def site_config(flavor, years):
    menus = [("Case studies", "/case-studies/"), ("Resources", "/resources/"),
             ("Annual report", f"/annual-report/{years[-1]}/"), ("About", "/about/")]
    footer = [("Annual reports", "/annual-report/"), ("About this site", "/about/")]
    title = "Leicestershire Communities"
    description = ("Information, examples and support to help people, groups and parish councils "
                   "in Leicestershire make a difference where they live.")
    if flavor == "communities":
        lines = [f"title: {title}", "base_url: https://communities.leicestershire.example/",
                 "language: en-GB", f"description: {description}", "page_size: 10", "menus:", "  main:"]
        lines += [f"    - {{name: {n}, url: {u}}}" for n, u in menus]
        lines.append("  footer:")
        lines += [f"    - {{name: {n}, url: {u}}}" for n, u in footer]
        return "site.yaml", "\n".join(lines) + "\n"
    lines = ['baseURL = "https://communities.leicestershire.example/"', 'locale = "en-GB"',
             f'title = "{title}"', "enableRobotsTXT = true", "disableHugoGeneratorInject = true",
             "[params]", f'description = "{description}"',
             "[pagination]", "pagerSize = 10",
             "[services.rss]", "limit = 20",
             # Our Markdown has no smart punctuation; Hugo's is on unless disabled.
             "[markup.goldmark.extensions.typographer]", "disable = true",
             # Our table of contents lists the h2 headings.
             "[markup.tableOfContents]", "startLevel = 2", "endLevel = 2",
             "[taxonomies]"]
    lines += [f'{singular} = "{plural}"' for singular, plural in
              [("area", "areas"), ("principle", "principles"), ("approach", "approaches"),
               ("outcome", "outcomes"), ("tag", "tags")]]
    # One feed, for the home page, as our build writes.
    lines += ["[outputs]", 'home = ["html", "rss"]', 'section = ["html"]', 'taxonomy = ["html"]',
              'term = ["html"]', 'page = ["html"]']
    for name, items in [("main", menus), ("footer", footer)]:
        for weight, (n, u) in enumerate(items, 1):
            lines += [f"[[menus.{name}]]", f'name = "{n}"', f'url = "{u}"', f"weight = {weight}"]
    return "hugo.toml", "\n".join(lines) + "\n"


def generate(out, pages, seed, flavor):
    rng = random.Random(seed)
    w = Writer(rng)
    plain, case_studies, resources, sections, years = plan(pages, rng)
    targets = [(p["path"], p["title"]) for p in case_studies + resources + sections]
    content = os.path.join(out, "content")
    files = {}

    def page(path, fields, body_text):
        files[path] = front_matter(fields, flavor) + format_links(body_text, flavor)

    for i, cs in enumerate(case_studies):
        fields = {"title": cs["title"],
                  "summary": f"How {rng.choice(GROUPS)} in {cs['place']} {rng.choice(VERBS)} {a(cs['project'])}.",
                  "date": random_date(rng).isoformat(),
                  "area": cs["area"],
                  "principles": sorted(rng.sample(PRINCIPLES, rng.randint(1, 3))),
                  "approaches": sorted(rng.sample(APPROACHES, rng.randint(1, 2))),
                  "outcomes": sorted(rng.sample(OUTCOMES, rng.randint(1, 3))),
                  "assets": sorted(rng.sample(ASSETS, rng.randint(1, 3))),
                  "organisation": f"{cs['place']} {rng.choice(ORGS)}",
                  "funding": f"£{rng.randint(2, 300) * 100:,} from {rng.choice(FUNDERS)}",
                  "tags": sorted(rng.sample(TAGS, rng.randint(1, 4)))}
        if i % 20 == 7:
            fields["aliases"] = [f"/old/case-study-{i}/"]
        page(cs["path"], fields, w.body(targets, i % 10 == 3))
    for i, res in enumerate(resources):
        fields = {"title": res["title"],
                  "summary": f"{a(res['kind'].replace('-', ' ')).capitalize()} for {rng.choice(GROUPS)} about the {rng.choice(NOUNS)}.",
                  "date": random_date(rng).isoformat(),
                  "kind": res["kind"],
                  "audience": rng.sample(GROUPS, 2),
                  "published_by": rng.choice(["Leicestershire County Council", "Voluntary Action Leicestershire",
                                              "Rural Community Council", f"{w.place()} {rng.choice(ORGS)}"]),
                  "tags": sorted(rng.sample(TAGS, rng.randint(1, 3)))}
        if i % 4 == 1:
            fields["updated"] = random_date(rng, 2025).isoformat()
        if res["bundle"]:
            fields["attachments"] = [{"file": "handout.pdf", "title": f"{res['title']} (PDF, 1 page)"}]
            files[res["path"].replace("index.md", "handout.pdf")] = tiny_pdf(res["title"])
        page(res["path"], fields, w.body(targets, i % 10 == 5))
    for i, sec in enumerate(sections):
        fields = {"title": sec["title"],
                  "summary": f"What the Communities team did on {sec['title'].lower()} in {sec['year']}.",
                  "year": sec["year"],
                  "weight": sec["weight"],
                  "figures": [{"value": f"{rng.randint(2, 900):,}", "label": f"{rng.choice(GROUPS)} supported"},
                              {"value": f"£{rng.randint(1, 99)}k", "label": f"granted through {rng.choice(FUNDERS)}"}],
                  "contacts": [{"name": f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}", "role": rng.choice(ROLES),
                                "email": "communities@leics.example", "phone": f"0116 305 {rng.randint(1000, 9999)}"}]}
        page(sec["path"], fields, w.body(targets, i % 10 == 8))
    for slug, title in plain:
        page(f"{slug}.md", {"title": title, "summary": f"{title} on the Leicestershire Communities website."},
             w.body(targets, False))

    indexes = [("_index.md", "Leicestershire Communities", "Information, examples and support for community action."),
               ("case-studies/_index.md", "Case studies", "What communities across Leicestershire have done."),
               ("resources/_index.md", "Resources", "Guides, toolkits and research for community groups."),
               ("annual-report/_index.md", "Annual reports", "The Communities team's reports, year by year.")]
    for path, title, summary in indexes:
        page(path, {"title": title, "summary": summary}, w.paragraph(emphasis=False) + "\n")
    for year in years:
        fields = {"title": f"Communities annual report {year}",
                  "summary": f"How the county council and local communities worked together in {year}.",
                  "year": year,
                  "figures": [{"value": f"£{rng.randint(1, 9)}.{rng.randint(0, 9)}m", "label": "granted to community groups"},
                              {"value": f"{rng.randint(100, 2000):,}", "label": "volunteers recruited"}]}
        page(f"annual-report/{year}/_index.md", fields, w.paragraph() + "\n\n" + w.paragraph() + "\n")

    if os.path.exists(out):
        shutil.rmtree(out)
    for path, text in files.items():
        full = os.path.join(content, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    name, config = site_config(flavor, years)
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(config)
    return len(case_studies) + len(resources) + len(sections) + len(plain)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flavor", choices=["communities", "hugo"], default="communities")
    args = parser.parse_args()
    if args.pages < 20:
        parser.error("--pages must be at least 20")
    n = generate(args.out, args.pages, args.seed, args.flavor)
    print(f"{args.out}: {n} pages ({args.flavor})", file=sys.stderr)


if __name__ == "__main__":
    main()
