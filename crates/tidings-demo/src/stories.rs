//! The sample newsroom's people, sections and stories. All text is original to this project.

use crate::images::Palette;

/// A reporter.
pub struct AuthorSeed {
    pub slug: &'static str,
    pub name: &'static str,
    pub bio: &'static str,
}

/// A feature image to draw.
pub struct ImageSeed {
    pub palette: Palette,
    pub alt: &'static str,
    pub caption: &'static str,
    pub credit: &'static str,
}

/// A story; `hours_ago` below zero means "scheduled that many hours ahead".
pub struct Story {
    pub title: &'static str,
    pub dek: &'static str,
    pub body: &'static str,
    pub tags: &'static [&'static str],
    pub authors: &'static [&'static str],
    pub hours_ago: f64,
    pub featured: bool,
    pub priority: i64,
    pub image: Option<ImageSeed>,
}

pub const AUTHORS: &[AuthorSeed] = &[
    AuthorSeed { slug: "maya-okafor", name: "Maya Okafor", bio: "covers the council, the mayor's office and how public money is spent. She joined the Ledger from the town's weekly paper." },
    AuthorSeed { slug: "tomas-lindqvist", name: "Tomás Lindqvist", bio: "reports on the environment, the harbour and the coast. He grew up on Gull Island." },
    AuthorSeed { slug: "priya-raman", name: "Priya Raman", bio: "writes about schools, health and families in Port Alder." },
    AuthorSeed { slug: "daniel-szabo", name: "Daniel Szabo", bio: "covers business, work and sport, and edits the Saturday edition." },
];

/// Background and figure colours for the portraits.
pub const PORTRAIT_COLOURS: &[([u8; 3], [u8; 3])] = &[
    ([196, 214, 230], [52, 73, 94]),
    ([214, 230, 200], [60, 90, 60]),
    ([238, 214, 196], [120, 60, 40]),
    ([220, 210, 236], [70, 50, 110]),
];

/// Slug, name and description of each section.
pub const TAGS: &[(&str, &str, &str)] = &[
    (
        "city-hall",
        "City Hall",
        "The council, the mayor and how Port Alder is run.",
    ),
    (
        "environment",
        "Environment",
        "The coast, the estuary, the weather and the climate.",
    ),
    (
        "education",
        "Education",
        "Schools, colleges and learning in Port Alder.",
    ),
    ("health", "Health", "Hospitals, clinics and care."),
    ("business", "Business", "Work, trade and the local economy."),
    ("housing", "Housing", "Renting, buying and building homes."),
    ("culture", "Culture", "Libraries, arts and community life."),
    ("sports", "Sports", "Clubs, teams and the people who play."),
    (
        "transport",
        "Transport",
        "Buses, ferries, roads and bridges.",
    ),
    (
        "explainers",
        "Explainers",
        "Guides to what changes and what it means for you.",
    ),
    (
        RUNNING_STORY.0,
        "Budget 2027",
        "How Port Alder decides what it spends, and on what.",
    ),
];

/// The demo's running story: its tag's slug and the summary at the top of its timeline.
pub const RUNNING_STORY: (&str, &str) = (
    "budget-2027",
    "The council passed a leaner budget after a night of testimony: evening buses and two \
     branch libraries were spared, council tax rises by 4.9 per cent, and the Eastside pool's \
     rebuild, now three times its first estimate, is the largest single cost.",
);

const SEA: Palette = Palette([
    [126, 170, 212],
    [214, 228, 240],
    [88, 112, 130],
    [54, 82, 70],
    [46, 88, 120],
]);
const DUSK: Palette = Palette([
    [60, 64, 120],
    [236, 150, 120],
    [90, 70, 100],
    [50, 40, 60],
    [70, 60, 100],
]);
const GREY: Palette = Palette([
    [150, 160, 170],
    [210, 214, 218],
    [110, 118, 124],
    [76, 84, 88],
    [90, 104, 114],
]);
const SPRING: Palette = Palette([
    [140, 196, 230],
    [230, 240, 220],
    [120, 160, 110],
    [70, 120, 70],
    [60, 120, 140],
]);
const GOLD: Palette = Palette([
    [240, 190, 120],
    [250, 230, 190],
    [160, 110, 80],
    [100, 70, 50],
    [120, 100, 90],
]);

const fn image(palette: Palette, alt: &'static str, caption: &'static str) -> Option<ImageSeed> {
    Some(ImageSeed {
        palette,
        alt,
        caption,
        credit: "Illustration: Harbour Ledger",
    })
}

pub const STORIES: &[Story] = &[
    Story { title: "Council approves a leaner budget after a night of testimony", dek: "Evening buses and two branch libraries are spared as council tax rises by 4.9 per cent.", body: include_str!("stories/budget.md"), tags: &["city-hall", "budget-2027"], authors: &["maya-okafor"], hours_ago: 3.0, featured: true, priority: 10, image: image(DUSK, "The town hall roofline against an evening sky", "Residents queued outside the town hall for a seat in the public gallery.") },
    Story { title: "Harbour sea wall must rise by 60 centimetres, engineers warn", dek: "A new study says the 1987 wall will be overtopped far more often within a decade.", body: include_str!("stories/seawall.md"), tags: &["environment", "city-hall"], authors: &["tomas-lindqvist"], hours_ago: 7.5, featured: true, priority: 8, image: image(SEA, "Waves breaking against a long stone harbour wall", "The wall between the fish market and the lifeboat station is the lowest section.") },
    Story { title: "Night ferry returns to Gull Island after two-year pause", dek: "The 22:15 crossing is back, crewed by apprentices trained in Port Alder.", body: include_str!("stories/ferry.md"), tags: &["transport"], authors: &["tomas-lindqvist"], hours_ago: 11.0, featured: false, priority: 5, image: image(DUSK, "A ferry's lights on dark water at dusk", "The late crossing takes about thirty minutes.") },
    Story { title: "Three east-side schools to share one head teacher", dek: "The plan aims to fill posts that have stood empty for a year, but some parents fear a head stretched too thin.", body: include_str!("stories/schools.md"), tags: &["education"], authors: &["priya-raman"], hours_ago: 20.0, featured: false, priority: 4, image: None },
    Story { title: "What the new rent rules mean for tenants", dek: "No-fault evictions end, rent rises are limited to one a year, and damp must be fixed quickly.", body: include_str!("stories/rent.md"), tags: &["housing", "explainers"], authors: &["maya-okafor", "priya-raman"], hours_ago: 30.0, featured: true, priority: 6, image: image(GREY, "A row of terraced houses under a grey sky", "About one in four households in Port Alder rents privately.") },
    Story { title: "Clinic waiting times fall by a third as evening hours expand", dek: "Fewer patients give up and go home since the walk-in clinic began opening until 9pm.", body: include_str!("stories/clinic.md"), tags: &["health"], authors: &["priya-raman"], hours_ago: 40.0, featured: false, priority: 3, image: None },
    Story { title: "Fish market stallholders brace for a quieter winter", dek: "Three stalls stand empty for the first time in memory as catches fall and fuel costs rise.", body: include_str!("stories/fishmarket.md"), tags: &["business"], authors: &["daniel-szabo"], hours_ago: 52.0, featured: false, priority: 2, image: image(GOLD, "Stalls under the arches of an old market hall", "The market has traded on the quayside since 1896.") },
    Story { title: "Alder Athletic clinch promotion with a stoppage-time winner", dek: "A substitute's goal four minutes into added time sends the club up.", body: include_str!("stories/promotion.md"), tags: &["sports"], authors: &["daniel-szabo"], hours_ago: 60.0, featured: false, priority: 1, image: image(SPRING, "A football pitch under floodlights", "Athletic's travelling supporters celebrate at the final whistle.") },
    Story { title: "The library that lends ladders, drills and sewing machines", dek: "Gull Point's tool library has made 1,900 loans and brought lapsed readers back.", body: include_str!("stories/toollibrary.md"), tags: &["culture"], authors: &["priya-raman"], hours_ago: 75.0, featured: false, priority: 1, image: image(SPRING, "Shelves in a small library", "The tool shelf is the busiest in the branch on Saturdays.") },
    Story { title: "Storm season: how to check whether your street floods", dek: "A short guide to flood maps, warnings and what to do before the water rises.", body: include_str!("stories/flooding.md"), tags: &["environment", "explainers"], authors: &["tomas-lindqvist"], hours_ago: 90.0, featured: false, priority: 3, image: image(GREY, "Rain clouds over the estuary", "Surface water is the most common cause of flooding in Port Alder.") },
    Story { title: "Route 7 buses diverted for six weeks during bridge repairs", dek: "Journeys will take about eight minutes longer at busy times.", body: include_str!("stories/busroute.md"), tags: &["transport"], authors: &["maya-okafor"], hours_ago: 100.0, featured: false, priority: 0, image: None },
    Story { title: "Shipyard wins its first new-build order in eleven years", dek: "Two hybrid ferries will secure 120 jobs and create 40 more at Halvorsen & Reid.", body: include_str!("stories/shipyard.md"), tags: &["business"], authors: &["daniel-szabo"], hours_ago: 120.0, featured: true, priority: 5, image: image(SEA, "Cranes above a shipyard by the water", "The yard has spent a decade on repairs and refits.") },
    Story { title: "How a 3.4m pool refurbishment became a 9.6m rebuild", dek: "Corroded beams, a cracked tank and three abandoned plans: the long wait for the Eastside pool.", body: include_str!("stories/pool.md"), tags: &["city-hall", "budget-2027"], authors: &["maya-okafor"], hours_ago: 140.0, featured: false, priority: 4, image: image(SEA, "Still blue water", "The Eastside pool has been closed since 2019.") },
    Story { title: "Native oysters breed in the estuary for the first time in decades", dek: "Divers found thousands of young oysters on restored beds.", body: include_str!("stories/oysters.md"), tags: &["environment"], authors: &["tomas-lindqvist"], hours_ago: 160.0, featured: false, priority: 2, image: image(SEA, "Shallow water over a shingle bed", "The restoration project has laid about 40,000 adult oysters.") },
    Story { title: "Students map every street tree in the old town", dek: "1,274 trees, 46 streets and one 200-year-old chestnut.", body: include_str!("stories/trees.md"), tags: &["education", "environment"], authors: &["priya-raman"], hours_ago: 180.0, featured: false, priority: 1, image: image(SPRING, "Tall trees lining a street", "The most common species is the London plane.") },
    Story { title: "Twenty years on, the food bank its founder hoped would close", dek: "From a church hall to a warehouse: 9,000 parcels this year.", body: include_str!("stories/foodbank.md"), tags: &["culture"], authors: &["daniel-szabo"], hours_ago: 200.0, featured: false, priority: 2, image: None },
    Story { title: "Mayor's diary published online for the first time", dek: "Campaigners want senior officers' diaries next.", body: include_str!("stories/diary.md"), tags: &["city-hall", "budget-2027"], authors: &["maya-okafor"], hours_ago: 230.0, featured: false, priority: 0, image: None },
    Story { title: "Housing cooperative breaks ground on 48 homes", dek: "Members will pay about two-thirds of market rent and run the buildings themselves.", body: include_str!("stories/coop.md"), tags: &["housing"], authors: &["maya-okafor"], hours_ago: 260.0, featured: false, priority: 2, image: image(GOLD, "A building site at sunrise", "The homes are due to be finished in eighteen months.") },
    Story { title: "Hospital scraps parking fees for night-shift staff", dek: "Nurses and porters said they had no other way to get to work.", body: include_str!("stories/parking.md"), tags: &["health"], authors: &["priya-raman"], hours_ago: 300.0, featured: false, priority: 1, image: None },
    Story { title: "Sailing club offers free lessons to every teenager in town", dek: "Six new dinghies and volunteer instructors, from April.", body: include_str!("stories/sailing.md"), tags: &["sports"], authors: &["daniel-szabo"], hours_ago: 330.0, featured: false, priority: 1, image: image(SEA, "Small sailing boats on a calm bay", "Places will be allocated by lottery if the course is full.") },
    Story { title: "Gales expected along the coast this weekend", dek: "Gusts of up to 100 km/h and large waves at high tide.", body: include_str!("stories/gales.md"), tags: &["environment"], authors: &["tomas-lindqvist"], hours_ago: -2.0, featured: false, priority: 6, image: None },
];
