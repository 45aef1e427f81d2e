"""Name pools for people and companies, split so that different roles never share a surname."""

from __future__ import annotations

#: Formal first names and the short form people write on calendar invites ("Jon Smith").
NICKNAMES: dict[str, str] = {
    "Jonathan": "Jon",
    "William": "Will",
    "Katherine": "Kate",
    "Elizabeth": "Liz",
    "Robert": "Rob",
    "Michael": "Mike",
    "Thomas": "Tom",
    "Alexander": "Alex",
    "Christopher": "Chris",
    "Margaret": "Maggie",
    "Rebecca": "Becky",
    "Daniel": "Dan",
    "Samuel": "Sam",
    "Benjamin": "Ben",
    "Jennifer": "Jen",
    "Victoria": "Vicky",
    "Stephen": "Steve",
    "Matthew": "Matt",
    "Edward": "Ed",
    "Catherine": "Cathy",
    "Nicholas": "Nick",
    "Patricia": "Trish",
    "Andrew": "Andy",
    "Joseph": "Joe",
    "Charlotte": "Lottie",
    "Jessica": "Jess",
    "Abigail": "Abby",
    "Frederick": "Fred",
    "Susannah": "Sue",
    "Timothy": "Tim",
}

#: First names for staff and occasional clients (no nickname needed).
FIRST_NAMES: tuple[str, ...] = (
    "Aisha", "Amelia", "Anna", "Arjun", "Ben", "Bethany", "Callum", "Chloe", "Connor", "Daisy",
    "Deepa", "Dylan", "Eleanor", "Ella", "Emily", "Erin", "Ethan", "Evie", "Faisal", "Finn",
    "Freya", "George", "Grace", "Hannah", "Harry", "Holly", "Imogen", "Isaac", "Isla", "Jack",
    "Jacob", "Jade", "James", "Jasmine", "Kai", "Karen", "Kieran", "Laura", "Leah", "Leo",
    "Liam", "Lily", "Lucy", "Luke", "Maya", "Megan", "Mia", "Mohammed", "Molly", "Nathan",
    "Niamh", "Noah", "Olivia", "Oscar", "Owen", "Paul", "Phoebe", "Priya", "Rachel", "Rhys",
    "Rosie", "Ruby", "Ryan", "Sadia", "Sarah", "Scarlett", "Sophie", "Tariq", "Theo", "Toby",
    "Zara", "Zoe", "Aaron", "Alice", "Ava", "Caleb", "Dominic", "Eva", "Gemma", "Helen",
)

#: Surnames for account customers and staff; occasional clients never draw from this pool.
ACCOUNT_SURNAMES: tuple[str, ...] = (
    "Smith", "Holloway", "Ashdown", "Pemberton", "Fairweather", "Okafor", "Castellano", "Drummond",
    "Whitlock", "Beaumont", "Radcliffe", "Kowalski", "Henshaw", "Lindqvist", "Mbeki", "Thornbury",
    "Galloway", "Featherstone", "Abernathy", "Quinlan", "Rutherford", "Sandoval", "Blackwood",
    "Winterbottom", "Achterberg", "Calloway", "Devereux", "Ellingham", "Fitzgerald", "Greenhalgh",
    "Hargreaves", "Ingram", "Jardine", "Kingsley", "Lockhart", "Montague", "Nakamura", "Oyelaran",
    "Prendergast", "Rowntree", "Sinclair", "Trevelyan", "Underwood", "Vasquez", "Waddington",
    "Yardley", "Zielinski", "Ainsworth", "Brackenbury", "Cartwright", "Dunmore", "Eastwood",
    "Farrington", "Gilchrist", "Hawthorne", "Iredale", "Jessop", "Kershaw", "Lancaster", "Merriman",
    "Northcott", "Ormerod", "Pickering", "Quarrie", "Redfern", "Stainton", "Tattersall", "Upton",
    "Venables", "Wetherby",
)

#: Surnames for occasional clients: plentiful, common, disjoint from the account pool.
CLIENT_SURNAMES: tuple[str, ...] = (
    "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green",
    "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper",
    "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan",
    "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young",
    "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell",
    "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson",
    "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb",
    "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer",
    "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher",
    "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Ahmed", "Fletcher",
    "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott", "Reynolds", "Saunders",
    "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole", "Atkinson",
    "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth",
    "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson",
    "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley",
)

#: Place words and sectors that make up account customers' company names.
COMPANY_PLACES: tuple[str, ...] = (
    "Northgate", "Ashford", "Kingsway", "Riverside", "Bluebell", "Harbour", "Oakfield", "Millbrook",
    "Highfield", "Greenway", "Westcliff", "Elmstead", "Foxhall", "Stonebridge", "Larkspur",
    "Meadowbank", "Cobalt", "Redhill", "Silverdale", "Thornfield", "Brightwater", "Copperleaf",
)
COMPANY_SECTORS: tuple[str, ...] = (
    "Dental Practice", "Architects", "Estate Agents", "Veterinary Clinic", "Solicitors", "Bakery",
    "Motors", "Lettings", "Florist", "Fitness", "Nursery", "Opticians", "Joinery", "Print & Design",
    "Pharmacy", "Hair Studio", "Coffee House", "Builders", "Garden Centre", "Interiors",
)
COMPANY_SUFFIXES: tuple[str, ...] = ("Ltd", "Ltd", "LLP", "& Co", "")

#: Customers abroad, with the currency they are invoiced in.
ABROAD_CUSTOMERS: tuple[tuple[str, str, str], ...] = (
    ("Müller & Söhne GmbH", "buchhaltung@mueller-soehne.de", "EUR"),
    ("Atelier Lumière SARL", "compta@atelier-lumiere.fr", "EUR"),
    ("Brightline Media LLC", "ap@brightlinemedia.com", "USD"),
    ("Van der Berg Logistiek BV", "facturen@vdberg-logistiek.nl", "EUR"),
)

#: Words for occasional suppliers' trading names ("Hughes Plumbing").
SUPPLIER_TRADES: tuple[str, ...] = (
    "Plumbing", "Electrical", "Print", "Catering", "Couriers", "Signs", "Locksmiths", "Glazing",
    "IT Support", "Removals", "Decorators", "Office Supplies", "Training", "Photography",
    "Waste Services", "Window Cleaning", "Pest Control", "Furniture", "Recruitment", "Security",
)

EMAIL_PROVIDERS: tuple[str, ...] = (
    "gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.co.uk", "icloud.com", "btinternet.com",
)


def slug(text: str) -> str:
    """Lower-case ``text`` keeping only letters and digits, for email local parts and domains."""
    return "".join(char for char in text.lower() if char.isascii() and char.isalnum())
