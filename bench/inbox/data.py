"""What the loaded inbox looks like: the pilot's communes, kinds, statuses and words.

Shares and vocabulary imitate the pilot (Cotonou heaviest, mostly reports, statuses that depend
on age, French descriptions), so that a search for "caniveau" hits about as often as it would,
and the rare words and typos searched for are rare or absent for the same reasons.
"""

from __future__ import annotations

import math
from datetime import timedelta

from core.submissions.models import Kind

CHUNK = 50_000  # submissions per transaction of the load
SPAN = timedelta(days=3 * 365)
COTONOU = "BJ-LI-COT"

COMMUNE_WEIGHTS = {"BJ-LI-COT": 40, "BJ-AQ-ABO": 20, "BJ-ZO-BOH": 10, "BJ-OU-AKP": 8,
                   "BJ-AL-BAN": 8, "BJ-AQ-TOF": 7, "BJ-OU-AVR": 7}
CENTRES = {"BJ-LI-COT": (6.37, 2.42), "BJ-AQ-ABO": (6.45, 2.35), "BJ-ZO-BOH": (7.18, 2.07),
           "BJ-OU-AKP": (6.58, 2.56), "BJ-AL-BAN": (11.30, 2.44), "BJ-AQ-TOF": (6.85, 2.08),
           "BJ-OU-AVR": (6.55, 2.66)}
MODERATORS = {"BJ-LI-COT": 6, "BJ-AQ-ABO": 4}  # other communes: 2
KINDS = ((Kind.REPORT, 72), (Kind.COMPLAINT, 14), (Kind.SUGGESTION, 9), (Kind.IDEA, 5))
CATEGORIES = (("road", 20), ("drain", 18), ("street_light", 12), ("waste", 20), ("market", 6),
              ("water", 10), ("school", 5), ("other", 9))
PRIORITIES = (("normal", 80), ("low", 7), ("high", 11), ("urgent", 2))
CHANNELS = (("whatsapp", 63), ("telegram", 37))
LANGUAGES = (("fr", 85), ("en", 15))
LABELS = ("saison-des-pluies", "presse", "rappel", "visite-terrain", "budget-2025",
          "chef-quartier", "sbee", "soneb")
# (younger than so many days, status mix): recent items wait, old ones are mostly done
STATUS_MIX: tuple[tuple[float, tuple[tuple[str, float], ...]], ...] = (
    (7, (("new", 55), ("acknowledged", 25), ("in_progress", 12), ("rejected", 3),
         ("duplicate", 5))),
    (60, (("new", 12), ("acknowledged", 18), ("in_progress", 25), ("resolved", 27),
          ("rejected", 6), ("duplicate", 6), ("reopened", 6))),
    (math.inf, (("new", 2), ("acknowledged", 3), ("in_progress", 7), ("resolved", 46),
                ("closed", 31), ("rejected", 6), ("duplicate", 4), ("reopened", 1))),
)
P_PHOTO = {"report": 0.13, "complaint": 0.03}  # about 10% of all submissions
P_VOICE = {"report": 0.058, "complaint": 0.058}  # about 5%

SUBJECTS = {
    "road": ("Nid de poule énorme sur la voie", "La route est complètement dégradée",
             "Le pont est fissuré", "Les pavés sont arrachés", "Un gros trou sur la chaussée",
             "La voie est impraticable"),
    "drain": ("Le caniveau est bouché", "Le caniveau déborde", "Les caniveaux ne sont pas curés",
              "La rue est inondée, le caniveau est plein de sable", "L'eau stagne dans la rue",
              "Le caniveau à ciel ouvert est dangereux"),
    "street_light": ("Le lampadaire ne s'allume plus", "Les lampadaires sont éteints",
                     "Un lampadaire est tombé", "Pas d'éclairage public dans la rue",
                     "Le lampadaire clignote toute la nuit"),
    "waste": ("Tas d'ordures qui déborde sur la voie", "Dépotoir sauvage en pleine rue",
              "Les ordures ne sont pas ramassées", "On brûle les déchets",
              "Les poubelles sont pleines"),
    "market": ("Le hangar du marché est effondré", "Les étals bloquent le passage",
               "Le marché est très sale", "Les toilettes du marché sont fermées"),
    "water": ("La pompe du forage est cassée", "Plus d'eau à la borne fontaine",
              "Le forage est en panne", "L'eau du point d'eau est sale"),
    "school": ("Le toit de l'école est percé", "La salle de classe n'a plus de porte",
               "Les latrines de l'école sont bouchées", "Le mur du centre de santé s'effondre"),
    "other": ("Des animaux errants partout", "Du bruit toute la nuit", "Un arbre est tombé",
              "Une construction bloque la rue"),
}
PLACES = ("devant l'école primaire", "près du marché", "au carrefour", "derrière la mosquée",
          "à côté de l'église", "vers la gare routière", "en face de la pharmacie",
          "au bord de la voie pavée", "près du terrain de foot", "à l'entrée du quartier",
          "derrière le collège", "près de la maison du chef quartier")
SINCE = ("depuis une semaine", "depuis deux mois", "depuis la dernière pluie",
         "chaque fois qu'il pleut", "depuis hier", "depuis longtemps",
         "depuis le début de l'année")
EFFECTS = ("Les enfants ne peuvent plus passer.", "Les motos tombent souvent.",
           "Il y a des moustiques partout.", "La nuit c'est dangereux.",
           "Les commerçants se plaignent.", "Ça sent très mauvais.",
           "Les voitures font un détour.", "Nous avons déjà prévenu le chef quartier.", "")
ASKS = ("Merci de venir voir.", "Aidez-nous s'il vous plaît.", "Il faut agir vite.",
        "Que la mairie intervienne.", "Merci d'avance.", "")
ASIDES = (("Le caniveau à côté est aussi bouché.", 0.04),  # words seen outside their category
          ("Le lampadaire du coin est éteint aussi.", 0.02),
          ("Un serpent est sorti du caniveau.", 0.001),
          ("Le transformateur de la SBEE fait des étincelles.", 0.0005))
COMPLAINTS = ("J'attends mon acte de naissance depuis trois mois",
              "On m'a demandé de l'argent pour un certificat de résidence",
              "Le dossier de ma parcelle n'avance pas", "Mon permis de construire est bloqué",
              "L'agent au guichet était absent toute la matinée",
              "La taxe du marché a doublé sans explication",
              "Personne ne répond au téléphone de la mairie")
SUGGESTIONS = ("Il faudrait un guichet unique pour les actes",
               "Afficher les horaires de la mairie à l'entrée",
               "Envoyer un SMS quand le document est prêt",
               "Organiser la collecte des ordures le samedi")
IDEAS = (("Planter des arbres au marché", "Planter des arbres autour du marché pour l'ombre"),
         ("Bancs à la gare routière", "Installer des bancs et un abri à la gare routière"),
         ("Terrain de jeu pour les enfants", "Aménager l'espace vide derrière le collège"),
         ("Lampadaires solaires", "Des lampadaires solaires dans les ruelles du quartier"))

# What the search queries look for, from common to absent (a typo).
COMMON_WORDS = ("caniveau", "lampadaire", "ordures", "forage", "marché")
TWO_WORDS = ("caniveau bouché", "lampadaire nuit", "ordures marché", "forage pompe")
RARE_WORDS = ("transformateur", "serpent", "étincelles")
TYPOS = ("lampadère", "canivau", "foraje")

SUBMISSION_COLUMNS = ("id", "reference", "kind", "status", "commune_id", "arrondissement_id",
                      "category_id", "service_id", "title", "description", "latitude",
                      "longitude", "place_text", "anonymous", "citizen_id", "identity_id",
                      "channel", "created_at", "updated_at", "resolved_at", "first_response_at",
                      "assignee_id", "priority", "labels", "hidden", "duplicate_of_id",
                      "claimed_by_id", "claimed_until", "search_text")
ATTACHMENT_COLUMNS = ("id", "inbound_id", "submission_id", "kind", "content_type", "size",
                      "sha256", "path", "original_name", "created_at")
CITIZEN_COLUMNS = ("id", "language", "commune_id", "display_name", "consent_at", "gender",
                   "age_band", "disability", "broadcast_opt_out", "blocked", "created_at",
                   "last_seen_at")

SEARCHED = (*COMMON_WORDS, *TWO_WORDS, *RARE_WORDS, *TYPOS)
