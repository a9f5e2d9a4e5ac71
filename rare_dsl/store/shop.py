"""The demo shop's catalogue: where its contacts live, what they are called, what it sells and mails.

Plain data, weighted the way a European fashion-and-home web shop's contacts are: mostly France, then
Germany, the UK, Spain and Italy, a tail of other countries; capitals and big cities first; a few
best-selling products and vendors and a long tail. `demo.py` turns every weight into a lookup table and
draws from it inside DuckDB. Names here are what rules and examples use ("Red Shoes", "Nordic Knits",
the lists "Popup leads" and "Do not email", the "Black Friday" and "Spring sale" campaigns, the "Welcome"
series).
"""

from __future__ import annotations

import unicodedata

# (code, name, language of first and last names, weight in % of contacts)
COUNTRIES: tuple[tuple[str, str, str, float], ...] = (
    ("FR", "France", "fr", 34), ("DE", "Germany", "de", 16), ("GB", "United Kingdom", "en", 12),
    ("ES", "Spain", "es", 9), ("IT", "Italy", "it", 8), ("US", "United States", "en", 7),
    ("BE", "Belgium", "fr", 4), ("NL", "Netherlands", "nl", 3), ("CH", "Switzerland", "de", 2),
    ("CA", "Canada", "en", 2), ("SE", "Sweden", "sv", 1.5), ("PT", "Portugal", "pt", 1.5),
)

# country code -> region -> (weight of the region, (city, weight) ...)
REGIONS: dict[str, dict[str, tuple[float, tuple[tuple[str, float], ...]]]] = {
    "FR": {
        "Île-de-France": (30, (("Paris", 62), ("Boulogne-Billancourt", 8), ("Saint-Denis", 6), ("Versailles", 6),
                               ("Montreuil", 6), ("Nanterre", 5), ("Créteil", 4), ("Argenteuil", 3))),
        "Auvergne-Rhône-Alpes": (13, (("Lyon", 45), ("Grenoble", 15), ("Saint-Étienne", 12),
                                      ("Clermont-Ferrand", 12), ("Annecy", 8), ("Villeurbanne", 8))),
        "Provence-Alpes-Côte d'Azur": (10, (("Marseille", 42), ("Nice", 25), ("Toulon", 12),
                                            ("Aix-en-Provence", 13), ("Avignon", 8))),
        "Occitanie": (9, (("Toulouse", 48), ("Montpellier", 32), ("Nîmes", 11), ("Perpignan", 9))),
        "Nouvelle-Aquitaine": (9, (("Bordeaux", 52), ("Limoges", 12), ("Poitiers", 10), ("La Rochelle", 14),
                                   ("Pau", 12))),
        "Hauts-de-France": (8, (("Lille", 55), ("Amiens", 17), ("Roubaix", 14), ("Dunkerque", 14))),
        "Grand Est": (8, (("Strasbourg", 45), ("Reims", 20), ("Metz", 18), ("Nancy", 17))),
        "Bretagne": (5, (("Rennes", 48), ("Brest", 25), ("Quimper", 14), ("Lorient", 13))),
        "Pays de la Loire": (5, (("Nantes", 58), ("Angers", 22), ("Le Mans", 20))),
        "Normandie": (4, (("Rouen", 40), ("Caen", 35), ("Le Havre", 25))),
    },
    "DE": {
        "Nordrhein-Westfalen": (22, (("Köln", 30), ("Düsseldorf", 22), ("Dortmund", 18), ("Essen", 16), ("Bonn", 14))),
        "Bayern": (18, (("München", 55), ("Nürnberg", 22), ("Augsburg", 13), ("Regensburg", 10))),
        "Baden-Württemberg": (15, (("Stuttgart", 40), ("Mannheim", 15), ("Karlsruhe", 15),
                                   ("Freiburg im Breisgau", 18), ("Heidelberg", 12))),
        "Berlin": (12, (("Berlin", 100),)),
        "Hessen": (9, (("Frankfurt am Main", 62), ("Wiesbaden", 22), ("Kassel", 16))),
        "Hamburg": (8, (("Hamburg", 100),)),
        "Sachsen": (7, (("Leipzig", 52), ("Dresden", 48))),
    },
    "GB": {
        "England": (84, (("London", 52), ("Manchester", 10), ("Birmingham", 10), ("Leeds", 6), ("Bristol", 7),
                         ("Liverpool", 6), ("Brighton", 5), ("Oxford", 4))),
        "Scotland": (9, (("Glasgow", 48), ("Edinburgh", 42), ("Aberdeen", 10))),
        "Wales": (5, (("Cardiff", 68), ("Swansea", 32))),
        "Northern Ireland": (2, (("Belfast", 100),)),
    },
    "ES": {
        "Comunidad de Madrid": (28, (("Madrid", 90), ("Alcalá de Henares", 10))),
        "Cataluña": (25, (("Barcelona", 80), ("Girona", 11), ("Tarragona", 9))),
        "Andalucía": (18, (("Sevilla", 35), ("Málaga", 35), ("Granada", 18), ("Córdoba", 12))),
        "Comunitat Valenciana": (14, (("Valencia", 65), ("Alicante", 35))),
        "País Vasco": (8, (("Bilbao", 60), ("San Sebastián", 40))),
    },
    "IT": {
        "Lombardia": (25, (("Milano", 75), ("Bergamo", 12), ("Brescia", 13))),
        "Lazio": (18, (("Roma", 100),)),
        "Veneto": (13, (("Verona", 55), ("Venezia", 45))),
        "Toscana": (12, (("Firenze", 65), ("Pisa", 20), ("Siena", 15))),
        "Emilia-Romagna": (12, (("Bologna", 70), ("Parma", 30))),
        "Campania": (10, (("Napoli", 100),)),
        "Piemonte": (10, (("Torino", 100),)),
    },
    "US": {
        "California": (28, (("Los Angeles", 35), ("San Francisco", 30), ("San Diego", 20), ("San Jose", 15))),
        "New York": (25, (("New York", 88), ("Buffalo", 12))),
        "Texas": (15, (("Austin", 36), ("Houston", 32), ("Dallas", 32))),
        "Washington": (12, (("Seattle", 100),)),
        "Illinois": (10, (("Chicago", 100),)),
        "Massachusetts": (10, (("Boston", 100),)),
    },
    "BE": {
        "Bruxelles-Capitale": (35, (("Bruxelles", 100),)),
        "Vlaanderen": (40, (("Antwerpen", 40), ("Gent", 35), ("Brugge", 25))),
        "Wallonie": (25, (("Liège", 50), ("Namur", 30), ("Charleroi", 20))),
    },
    "NL": {
        "Noord-Holland": (45, (("Amsterdam", 82), ("Haarlem", 18))),
        "Zuid-Holland": (35, (("Rotterdam", 50), ("Den Haag", 40), ("Leiden", 10))),
        "Utrecht": (20, (("Utrecht", 100),)),
    },
    "CH": {
        "Zürich": (40, (("Zürich", 100),)),
        "Genève": (25, (("Genève", 100),)),
        "Vaud": (20, (("Lausanne", 100),)),
        "Basel-Stadt": (15, (("Basel", 100),)),
    },
    "CA": {
        "Ontario": (45, (("Toronto", 70), ("Ottawa", 30))),
        "Québec": (35, (("Montréal", 80), ("Québec", 20))),
        "British Columbia": (20, (("Vancouver", 100),)),
    },
    "SE": {
        "Stockholm": (50, (("Stockholm", 100),)),
        "Västra Götaland": (30, (("Göteborg", 100),)),
        "Skåne": (20, (("Malmö", 100),)),
    },
    "PT": {
        "Lisboa": (60, (("Lisboa", 100),)),
        "Porto": (40, (("Porto", 100),)),
    },
}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "fr": ("Marie", "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Zoé", "Hélène",
           "Céline", "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Lucas", "Hugo", "Louis", "Théo",
           "François", "Mathieu", "Élodie"),
    "de": ("Anna", "Lena", "Laura", "Julia", "Sophie", "Lea", "Hannah", "Katharina", "Jana", "Jürgen", "Lukas",
           "Jonas", "Felix", "Maximilian", "Leon", "Paul", "Stefan", "Michael", "Andreas", "Tobias", "Jörg",
           "Sabine"),
    "en": ("Olivia", "Amelia", "Isla", "Emily", "Grace", "Jessica", "Sophie", "Charlotte", "Hannah", "Lucy",
           "Oliver", "Jack", "Harry", "George", "James", "William", "Daniel", "Thomas", "Ethan", "Michael",
           "Sarah", "Chloe"),
    "es": ("Lucía", "María", "Paula", "Sofía", "Carmen", "Laura", "Marta", "Elena", "Alejandro", "Daniel",
           "Pablo", "Javier", "Sergio", "Carlos", "Álvaro", "Adrián", "José", "Ana"),
    "it": ("Giulia", "Francesca", "Sara", "Martina", "Chiara", "Alessia", "Federica", "Elena", "Marco",
           "Alessandro", "Luca", "Matteo", "Lorenzo", "Andrea", "Francesco", "Davide", "Niccolò"),
    "nl": ("Emma", "Sanne", "Lotte", "Anouk", "Fleur", "Eva", "Daan", "Sem", "Lars", "Bram", "Thijs", "Jeroen"),
    "sv": ("Elsa", "Astrid", "Maja", "Ebba", "Linnéa", "Erik", "Lars", "Oskar", "Anders", "Björn"),
    "pt": ("Beatriz", "Inês", "Mariana", "Ana", "Joana", "João", "Tiago", "Rui", "Gonçalo", "Pedro"),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
           "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
           "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
           "Zimmermann", "Braun", "Krüger", "Hofmann"),
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
           "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
           "O'Brien", "Miller"),
    "es": ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
           "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
           "Bruno", "Gallo", "Conti", "De Luca", "Costa", "Giordano", "Mancini", "Rizzo"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
           "Meijer", "de Boer", "Mulder"),
    "sv": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
           "Svensson", "Gustafsson"),
    "pt": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa",
           "Fernandes"),
}

# Where a country's contacts keep their mailbox: country code (or "*" for the rest) -> (domain, weight).
EMAIL_DOMAINS: dict[str, tuple[tuple[str, float], ...]] = {
    "FR": (("gmail.com", 35), ("orange.fr", 15), ("free.fr", 10), ("hotmail.fr", 10), ("yahoo.fr", 8),
           ("laposte.net", 6), ("sfr.fr", 6), ("outlook.fr", 5), ("icloud.com", 5)),
    "DE": (("gmail.com", 30), ("gmx.de", 25), ("web.de", 25), ("t-online.de", 10), ("yahoo.de", 5),
           ("outlook.de", 5)),
    "GB": (("gmail.com", 40), ("hotmail.co.uk", 20), ("yahoo.co.uk", 10), ("outlook.com", 10),
           ("btinternet.com", 10), ("icloud.com", 10)),
    "ES": (("gmail.com", 55), ("hotmail.es", 20), ("yahoo.es", 10), ("outlook.es", 10), ("telefonica.net", 5)),
    "IT": (("gmail.com", 40), ("libero.it", 20), ("hotmail.it", 15), ("virgilio.it", 10), ("yahoo.it", 10),
           ("tiscali.it", 5)),
    "US": (("gmail.com", 50), ("yahoo.com", 15), ("icloud.com", 12), ("outlook.com", 10), ("hotmail.com", 8),
           ("aol.com", 5)),
    "*": (("gmail.com", 50), ("outlook.com", 20), ("hotmail.com", 15), ("icloud.com", 10), ("proton.me", 5)),
}
# Share of contacts whose address is a test address at example.com (the shop's own staff and tests).
TEST_ADDRESS_SHARE = 0.01

VENDORS = ("Atelier Rouge", "Nordic Knits", "Acme", "Maison Lumière", "Alpine Trail", "Terra Verde",
           "Urban Leather", "Café Noir", "Bluebird Kids", "Sole Mates")
# (product id, name, vendor, price, popularity weight): a few best sellers, a long tail.
PRODUCTS: tuple[tuple[str, str, str, float, float], ...] = (
    ("P-1001", "Red Shoes", "Atelier Rouge", 89.00, 60),
    ("P-1002", "Classic White Sneakers", "Sole Mates", 75.00, 55),
    ("P-1003", "Merino Wool Sweater", "Nordic Knits", 119.00, 40),
    ("P-1004", "Organic Cotton T-Shirt", "Acme", 24.90, 90),
    ("P-1005", "Slim Fit Jeans", "Acme", 59.90, 70),
    ("P-1006", "Scented Candle Fig", "Maison Lumière", 32.00, 45),
    ("P-1007", "Espresso Beans 1kg", "Café Noir", 27.50, 50),
    ("P-1008", "Leather Belt", "Urban Leather", 45.00, 25),
    ("P-1009", "Rain Jacket", "Alpine Trail", 149.00, 20),
    ("P-1010", "Hiking Boots", "Alpine Trail", 169.00, 15),
    ("P-1011", "Cable Knit Scarf", "Nordic Knits", 49.00, 30),
    ("P-1012", "Wool Beanie", "Nordic Knits", 29.00, 35),
    ("P-1013", "Aloe Face Cream", "Terra Verde", 22.50, 38),
    ("P-1014", "Lavender Soap Set", "Terra Verde", 14.90, 28),
    ("P-1015", "Kids Rain Boots", "Bluebird Kids", 34.90, 18),
    ("P-1016", "Kids Puffer Jacket", "Bluebird Kids", 64.90, 12),
    ("P-1017", "Leather Tote Bag", "Urban Leather", 189.00, 14),
    ("P-1018", "Leather Wallet", "Urban Leather", 69.00, 20),
    ("P-1019", "Linen Shirt", "Acme", 49.90, 26),
    ("P-1020", "Canvas Sneakers", "Sole Mates", 55.00, 24),
    ("P-1021", "Suede Ankle Boots", "Atelier Rouge", 139.00, 16),
    ("P-1022", "Red Ballet Flats", "Atelier Rouge", 69.00, 10),
    ("P-1023", "Ceramic Mug", "Maison Lumière", 16.00, 22),
    ("P-1024", "Linen Cushion Cover", "Maison Lumière", 29.00, 12),
    ("P-1025", "Cold Brew Kit", "Café Noir", 39.00, 9),
    ("P-1026", "Coffee Grinder", "Café Noir", 79.00, 6),
    ("P-1027", "Fleece Pullover", "Alpine Trail", 69.00, 14),
    ("P-1028", "Trail Running Socks", "Alpine Trail", 12.90, 18),
    ("P-1029", "Gift Card 50", "Acme", 50.00, 11),
    ("P-1030", "Reindeer Christmas Jumper", "Nordic Knits", 79.00, 8),
    ("P-1031", "Argan Hair Oil", "Terra Verde", 26.00, 10),
    ("P-1032", "Kids Wool Mittens", "Nordic Knits", 19.00, 7),
    ("P-1033", "Cashmere Cardigan", "Nordic Knits", 229.00, 4),
    ("P-1034", "Running Shoes", "Sole Mates", 119.00, 13),
    ("P-1035", "Linen Bed Sheets", "Maison Lumière", 149.00, 5),
    ("P-1036", "Travel Duffel Bag", "Urban Leather", 249.00, 3),
)

# One-off campaigns go out every week; these weeks get a themed name instead of the weekly newsletter.
# (month, first day, last day, name): the week whose Tuesday falls in [first, last] of that month.
THEMED_WEEKS: tuple[tuple[int, int, int, str], ...] = (
    (1, 2, 8, "New Year Sale"), (1, 16, 22, "Winter Sale"), (2, 7, 13, "Valentine's Day"),
    (3, 18, 24, "Spring Collection"), (4, 8, 14, "Spring sale"), (5, 5, 11, "Mother's Day"), (6, 20, 26, "Summer Sale"),
    (8, 25, 31, "Back to School"), (10, 1, 7, "Autumn Lookbook"), (11, 24, 30, "Black Friday"),
    (12, 1, 7, "Christmas Gift Guide"), (12, 15, 21, "Last Shipping Day"),
)
WEEKLY_NAME = "Weekly Newsletter"  # followed by the ISO date of the send
SERIES = ("Welcome", "Abandoned Cart", "Post-purchase", "Win-back")

# Tags and the share of contacts carrying each (demo.py adds the conditions: vip follows quality, ...).
TAGS = ("vip", "newsletter", "wholesale", "birthday-club", "instagram", "returning", "sale-hunter")

POPUP_LIST = "Popup leads"
WHOLESALE_LIST = "Wholesale partners"
DO_NOT_EMAIL_LIST = "Do not email"  # people who asked by reply or phone, whatever their status says


def slug(name: str) -> str:
    """The ASCII letters of a name, lower-case, for email addresses: "Lefèvre" -> "lefevre"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalpha())
