//! Demo applications, placements and helpdesk for every region. Newcomers apply to
//! the region's published opportunities — only where its labour-market rules let
//! them (a refused application is skipped, as a chapter would) — and the
//! applications stand in every stage; the accepted ones became placements of every
//! kind, started over the last 18 months, some ended with a reason, so retention
//! has figures. The helpdesk has superlocals for the languages its members speak,
//! questions in them (some answered, one waiting for a language nobody answers in),
//! and knowledge-base articles with translations, one of them stale. Everything
//! here is fictional, and built through the public API like a chapter's own input.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{Days, NaiveDate, Utc};
use passage_proto::v1::{
    self, ApplicationStage, MemberRole, PlacementEndReason,
    helpdesk_service_client::HelpdeskServiceClient, market_service_client::MarketServiceClient,
    member_service_client::MemberServiceClient, placement_service_client::PlacementServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

use super::in_region;

/// At most this many applications per region.
const APPLICATIONS: usize = 40;

/// What becomes of the n-th application (cycling): nine steps against six
/// opportunity kinds, so every kind gets accepted applications.
const PLAN: [ApplicationStage; 9] = [
    ApplicationStage::Accepted,
    ApplicationStage::Applied,
    ApplicationStage::Accepted,
    ApplicationStage::Screening,
    ApplicationStage::Accepted,
    ApplicationStage::Interview,
    ApplicationStage::Offer,
    ApplicationStage::Rejected,
    ApplicationStage::Withdrawn,
];

/// Why ended placements ended, in turn.
const END_REASONS: [(PlacementEndReason, &str); 6] = [
    (
        PlacementEndReason::Completed,
        "Finished the programme with a certificate.",
    ),
    (
        PlacementEndReason::ContractEnded,
        "Six-month contract, not renewed.",
    ),
    (
        PlacementEndReason::LeftForOtherJob,
        "Found a job closer to her profession.",
    ),
    (
        PlacementEndReason::MovedAway,
        "Housed in another municipality.",
    ),
    (PlacementEndReason::Dismissed, ""),
    (
        PlacementEndReason::Other,
        "Stopped to finish the civic-integration exam first.",
    ),
];

/// Fills the region's applications, placements and helpdesk.
pub async fn seed(channel: Channel, region: &str) -> anyhow::Result<()> {
    let members = super::own_members(
        &mut MemberServiceClient::new(channel.clone()),
        region,
        MemberRole::Unspecified,
    )
    .await?;
    applications(channel.clone(), region, &members)
        .await
        .context("seeding applications and placements")?;
    helpdesk(channel, region, &members)
        .await
        .context("seeding the helpdesk")?;
    Ok(())
}

fn role(member: &v1::Member) -> i32 {
    member.regional.as_ref().map_or(0, |r| r.role)
}

fn languages(member: &v1::Member) -> &[String] {
    member
        .profile
        .as_ref()
        .map_or(&[], |p| p.languages.as_slice())
}

/// The region's published opportunities, one of each kind in turn.
async fn published_by_kind_in_turn(channel: Channel, region: &str) -> anyhow::Result<Vec<String>> {
    let page = MarketServiceClient::new(channel)
        .list_opportunities(in_region(
            region,
            v1::ListOpportunitiesRequest {
                page_size: 500,
                status: v1::OpportunityStatus::Published as i32,
                ..Default::default()
            },
        )?)
        .await?
        .into_inner();
    let mut by_kind: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for opportunity in page.opportunities {
        by_kind
            .entry(opportunity.kind)
            .or_default()
            .push(opportunity.id);
    }
    let longest = by_kind.values().map(Vec::len).max().unwrap_or(0);
    Ok((0..longest)
        .flat_map(|round| {
            by_kind
                .values()
                .filter_map(move |ids| ids.get(round).cloned())
        })
        .collect())
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

async fn applications(
    channel: Channel,
    region: &str,
    members: &[v1::Member],
) -> anyhow::Result<()> {
    let opportunities = published_by_kind_in_turn(channel.clone(), region).await?;
    if opportunities.is_empty() {
        return Ok(());
    }
    let mut client = PlacementServiceClient::new(channel);
    let today = Utc::now().date_naive();
    let newcomers = members
        .iter()
        .filter(|m| role(m) == MemberRole::Newcomer as i32);
    // `next` walks the opportunities (one kind after another); an opportunity the
    // rules keep a newcomer from is skipped for the next one.
    let (mut made, mut placed, mut next) = (0_usize, 0_usize, 0_usize);
    for newcomer in newcomers {
        if made == APPLICATIONS {
            break;
        }
        let mut application = None;
        for attempt in 0..opportunities.len().min(6) {
            let index = (next + attempt) % opportunities.len();
            let applied = client
                .apply(in_region(
                    region,
                    v1::ApplyRequest {
                        member_id: newcomer.id.clone(),
                        opportunity_id: opportunities[index].clone(),
                        motivation: MOTIVATIONS[made % MOTIVATIONS.len()].to_owned(),
                    },
                )?)
                .await;
            match applied {
                Ok(made) => {
                    application = Some(made.into_inner());
                    next = index + 1;
                    break;
                }
                // The region's rules do not allow it (yet).
                Err(status) if status.code() == Code::FailedPrecondition => {}
                Err(status) => return Err(status.into()),
            }
        }
        let Some(application) = application else {
            continue;
        };
        let plan = PLAN[made % PLAN.len()];
        made += 1;
        let forward = [
            ApplicationStage::Screening,
            ApplicationStage::Interview,
            ApplicationStage::Offer,
        ];
        let (steps, last) = match plan {
            ApplicationStage::Withdrawn => {
                client
                    .withdraw_application(in_region(
                        region,
                        v1::WithdrawApplicationRequest {
                            id: application.id,
                            member_id: newcomer.id.clone(),
                            note: "The hours clash with my language classes.".into(),
                        },
                    )?)
                    .await?;
                continue;
            }
            ApplicationStage::Rejected => (1, Some(ApplicationStage::Rejected)),
            ApplicationStage::Accepted => (3, None),
            ApplicationStage::Applied | ApplicationStage::Unspecified => (0, None),
            stage => (
                forward.iter().take_while(|s| **s != stage).count() + 1,
                None,
            ),
        };
        for stage in forward.iter().take(steps).copied().chain(last) {
            client
                .move_application(in_region(
                    region,
                    v1::MoveApplicationRequest {
                        id: application.id.clone(),
                        stage: stage as i32,
                        note: if stage == ApplicationStage::Rejected {
                            "We need someone with a driving licence for this route.".into()
                        } else {
                            String::new()
                        },
                    },
                )?)
                .await?;
        }
        if plan != ApplicationStage::Accepted {
            continue;
        }
        // Start dates spread over the last 18 months.
        let start = today - Days::new(20 + (placed as u64 * 41) % 520);
        let accepted = client
            .accept_application(in_region(
                region,
                v1::AcceptApplicationRequest {
                    id: application.id,
                    start_date: day(start),
                    fill_opportunity: false,
                },
            )?)
            .await?
            .into_inner();
        if placed % 3 == 1
            && let Some(placement) = accepted.placement
        {
            let (reason, note) = END_REASONS[(placed / 3) % END_REASONS.len()];
            let end = (start + Days::new(60 + 45 * (placed as u64 % 4))).min(today);
            client
                .end_placement(in_region(
                    region,
                    v1::EndPlacementRequest {
                        id: placement.id,
                        end_date: day(end),
                        reason: reason as i32,
                        note: note.into(),
                    },
                )?)
                .await?;
        }
        placed += 1;
    }
    Ok(())
}

const MOTIVATIONS: [&str; 4] = [
    "I did this work for years at home and want to get back to it.",
    "",
    "A good way to practise my Dutch and English at work.",
    "I can start right away and I live close by.",
];

/// A helpdesk question of the demo, and what became of it.
struct Faq {
    /// The country of the regions where it is asked.
    country: &'static str,
    language: &'static str,
    topic: &'static str,
    text: &'static str,
    /// Empty: not answered yet.
    answer: &'static str,
    /// The article made from it: language, title, body; the original first.
    article: &'static [(&'static str, &'static str, &'static str)],
    /// Last reviewed 220 days ago.
    stale: bool,
}

const FAQS: &[Faq] = &[
    Faq {
        country: "NL",
        language: "nl",
        topic: "inburgering",
        text: "Ik volg mijn inburgering. Hoeveel uur per week mag ik daarnaast werken?",
        answer: "De wet zet geen grens, maar je inburgering gaat voor. Spreek met je klantmanager af hoeveel uur naast je lessen past; in Amsterdam is dat meestal 16 tot 24 uur.",
        article: &[
            (
                "nl",
                "Werken naast je inburgering",
                "De Wet inburgering zet geen urengrens, maar je lessen en examens gaan voor. Spreek met je klantmanager van de gemeente af hoeveel uur per week je werkt; in Amsterdam is dat meestal 16 tot 24 uur.",
            ),
            (
                "en",
                "Working during civic integration",
                "The civic integration law sets no limit on hours, but your classes and exams come first. Agree the hours you work with your case manager at the municipality; in Amsterdam that is usually 16 to 24 hours a week.",
            ),
            (
                "ar",
                "العمل أثناء الاندماج المدني",
                "لا يحدد قانون الاندماج عدد ساعات العمل، لكن الدروس والامتحانات لها الأولوية. اتفق مع مدير ملفك في البلدية على عدد الساعات، وفي أمستردام غالبًا من 16 إلى 24 ساعة أسبوعيًا.",
            ),
        ],
        stale: false,
    },
    Faq {
        country: "NL",
        language: "ar",
        topic: "work",
        text: "قدمت طلب اللجوء منذ خمسة أشهر. متى يمكنني العمل بأجر؟",
        answer: "بعد ستة أشهر من تقديم طلب اللجوء يمكنك العمل بأجر، ويطلب صاحب العمل تصريح عمل من UWV. يمكنك التطوع من الآن.",
        article: &[
            (
                "ar",
                "العمل أثناء إجراءات اللجوء",
                "بعد ستة أشهر من تقديم طلب اللجوء يمكنك العمل بأجر، ويجب على صاحب العمل أن يطلب تصريح عمل (TWV) من UWV قبل أن تبدأ. يمكنك التطوع من اليوم الأول إذا كانت لدى المنظمة شهادة تطوع من UWV.",
            ),
            (
                "nl",
                "Werken tijdens de asielprocedure",
                "Zes maanden na je asielaanvraag mag je betaald werken; de werkgever vraagt vooraf een tewerkstellingsvergunning (TWV) aan bij UWV. Vrijwilligerswerk mag meteen, als de organisatie een vrijwilligersverklaring van UWV heeft.",
            ),
        ],
        stale: false,
    },
    Faq {
        country: "NL",
        language: "uk",
        topic: "work permit",
        text: "Чи потрібен мені дозвіл на роботу, якщо я маю тимчасовий захист?",
        answer: "Ні. З тимчасовим захистом ви можете працювати одразу; роботодавець повідомляє UWV.",
        article: &[
            (
                "uk",
                "Робота з тимчасовим захистом",
                "Дозвіл на роботу не потрібен. Роботодавець повідомляє UWV про роботу, місце і години; через два робочі дні можна починати. Захист діє до 4 березня 2027 року.",
            ),
            (
                "nl",
                "Werken met tijdelijke bescherming",
                "Een werkvergunning is niet nodig. De werkgever meldt het werk, de plaats en de uren bij UWV; twee werkdagen later mag je beginnen. De bescherming loopt tot 4 maart 2027.",
            ),
            (
                "en",
                "Working under temporary protection",
                "You need no work permit. Your employer notifies UWV of the job, the place and the hours; you may start two working days later. Protection runs until 4 March 2027.",
            ),
        ],
        stale: false,
    },
    Faq {
        country: "NL",
        language: "en",
        topic: "registration",
        text: "How do I register my address with the municipality of Amsterdam?",
        answer: "Book an appointment on amsterdam.nl and bring your passport or residence document and your rental contract.",
        article: &[
            (
                "en",
                "Registering your address in Amsterdam",
                "Book an appointment on amsterdam.nl. Bring your passport or residence document and your rental contract or a letter from the main tenant. You receive your BSN at the appointment.",
            ),
            (
                "nl",
                "Inschrijven bij de gemeente Amsterdam",
                "Maak een afspraak op amsterdam.nl. Neem je paspoort of verblijfsdocument mee en je huurcontract of een brief van de hoofdbewoner. Je krijgt je BSN bij de afspraak.",
            ),
        ],
        stale: true,
    },
    Faq {
        country: "NL",
        language: "nl",
        topic: "vrijwilligerswerk",
        text: "Mag ik als asielzoeker vrijwilligerswerk doen bij de voedselbank?",
        answer: "Ja, vanaf het begin van je procedure, als de voedselbank een vrijwilligersverklaring van UWV heeft.",
        article: &[
            (
                "nl",
                "Vrijwilligerswerk als asielzoeker",
                "Vrijwilligerswerk mag vanaf het begin van je procedure. De organisatie moet een vrijwilligersverklaring van UWV hebben: het werk is onbetaald, zonder winstoogmerk en voor het algemeen belang.",
            ),
            (
                "ar",
                "التطوع أثناء اللجوء",
                "يمكنك التطوع منذ بداية إجراءات اللجوء. يجب أن تكون لدى المنظمة شهادة تطوع من UWV: العمل بدون أجر، وغير ربحي، ولخدمة المجتمع.",
            ),
        ],
        stale: false,
    },
    Faq {
        country: "NL",
        language: "ar",
        topic: "language",
        text: "أين أجد دروس اللغة الهولندية المجانية في أمستردام؟",
        answer: "",
        article: &[],
        stale: false,
    },
    Faq {
        country: "NL",
        language: "uk",
        topic: "housing",
        text: "Як знайти житло в Амстердамі, якщо я живу в муніципальному притулку?",
        answer: "",
        article: &[],
        stale: false,
    },
    Faq {
        country: "NL",
        language: "en",
        topic: "banking",
        text: "Can I open a bank account before I have a BSN?",
        answer: "Some banks open a basic account with your residence document and a letter from COA; bring both.",
        article: &[],
        stale: false,
    },
    Faq {
        country: "NL",
        language: "es",
        topic: "trabajo",
        text: "Soy enfermera de Venezuela. ¿Cómo se reconoce mi título en los Países Bajos?",
        answer: "",
        article: &[],
        stale: false,
    },
    Faq {
        country: "US",
        language: "en",
        topic: "work permit",
        text: "I filed for asylum five months ago. When can I apply for a work permit?",
        answer: "You can file Form I-765 for a (c)(8) EAD once your asylum clock reaches 150 days.",
        article: &[
            (
                "en",
                "Applying for an EAD while your asylum case is pending",
                "File Form I-765 under category (c)(8) once your asylum clock reaches 150 days; USCIS can grant the EAD from day 180. Delays you cause stop the clock. The first EAD costs $550.",
            ),
            (
                "es",
                "Solicitar un permiso de trabajo con el asilo pendiente",
                "Presente el Formulario I-765 en la categoría (c)(8) cuando su reloj de asilo llegue a 150 días; USCIS puede otorgar el permiso desde el día 180. Los retrasos que usted cause detienen el reloj. El primer permiso cuesta $550.",
            ),
        ],
        stale: true,
    },
    Faq {
        country: "US",
        language: "es",
        topic: "salud",
        text: "¿Dónde puedo ver a un médico si no tengo seguro médico?",
        answer: "En los centros de salud comunitarios, que cobran según sus ingresos. Llame al 211.",
        article: &[
            (
                "es",
                "Atención médica sin seguro",
                "Los centros de salud comunitarios atienden a todos y cobran según sus ingresos. Llame al 211 para encontrar el más cercano.",
            ),
            (
                "en",
                "Health care without insurance",
                "Community health centers see everyone and charge by income. Call 211 to find the nearest one.",
            ),
        ],
        stale: false,
    },
    Faq {
        country: "US",
        language: "ht",
        topic: "travay",
        text: "Mwen gen TPS. Èske mwen ka travay touswit?",
        answer: "Wi, ak yon EAD ki valab. Si demann TPS ou ap tann, ou ka mande yon EAD kategori C19.",
        article: &[
            (
                "ht",
                "Travay ak TPS",
                "Ak TPS ou ka travay si ou gen yon EAD ki valab (kategori A12). Si demann ou ap tann, mande yon EAD kategori C19 ak Fòm I-765.",
            ),
            (
                "en",
                "Working with TPS",
                "With TPS you may work with a valid EAD (category A12). While your application is pending, ask for a category C19 EAD with Form I-765.",
            ),
        ],
        stale: false,
    },
    Faq {
        country: "US",
        language: "ar",
        topic: "housing",
        text: "كيف أجد سكنًا بإيجار معقول؟",
        answer: "",
        article: &[],
        stale: false,
    },
    Faq {
        country: "US",
        language: "en",
        topic: "social security",
        text: "How do I get a Social Security number?",
        answer: "Apply at a Social Security office with your EAD or I-94; refugees can ask for it on arrival.",
        article: &[],
        stale: false,
    },
    Faq {
        country: "US",
        language: "uk",
        topic: "робота",
        text: "Чи можу я працювати за програмою Uniting for Ukraine?",
        answer: "",
        article: &[],
        stale: false,
    },
];

async fn helpdesk(channel: Channel, region: &str, members: &[v1::Member]) -> anyhow::Result<()> {
    let Some(country) = super::REGIONS
        .iter()
        .find(|(slug, _, _)| *slug == region)
        .map(|(_, _, country)| *country)
    else {
        return Ok(());
    };
    let faqs: Vec<&Faq> = FAQS.iter().filter(|f| f.country == country).collect();
    let desk_languages: Vec<&str> = faqs.iter().map(|f| f.language).collect();
    let mut client = HelpdeskServiceClient::new(channel);

    // Superlocals: up to two per language, locals and coaches before newcomers,
    // each answering in the helpdesk languages they speak.
    let mut candidates: Vec<&v1::Member> = members
        .iter()
        .filter(|m| role(m) != MemberRole::Newcomer as i32)
        .collect();
    candidates.extend(
        members
            .iter()
            .filter(|m| role(m) == MemberRole::Newcomer as i32),
    );
    let mut superlocals: Vec<&str> = Vec::new();
    for language in &desk_languages {
        let speakers: Vec<&v1::Member> = candidates
            .iter()
            .filter(|m| languages(m).iter().any(|l| l == language))
            .filter(|m| !superlocals.contains(&m.id.as_str()))
            .copied()
            .take(2)
            .collect();
        for speaker in speakers {
            if superlocals.len() >= 8 {
                break;
            }
            let spoken: Vec<String> = languages(speaker)
                .iter()
                .filter(|l| desk_languages.contains(&l.as_str()))
                .cloned()
                .collect();
            client
                .register_answerer(in_region(
                    region,
                    v1::RegisterAnswererRequest {
                        member_id: speaker.id.clone(),
                        languages: spoken,
                    },
                )?)
                .await?;
            superlocals.push(&speaker.id);
        }
    }

    let newcomers: Vec<&v1::Member> = members
        .iter()
        .filter(|m| role(m) == MemberRole::Newcomer as i32)
        .collect();
    let Some(fallback) = newcomers.first() else {
        return Ok(());
    };
    let stale_day = day(Utc::now().date_naive() - Days::new(220));
    for faq in faqs {
        let asker = newcomers
            .iter()
            .find(|m| languages(m).iter().any(|l| l == faq.language))
            .unwrap_or(fallback);
        let question = client
            .ask_question(in_region(
                region,
                v1::AskQuestionRequest {
                    asker_member_id: asker.id.clone(),
                    language: faq.language.into(),
                    topic: faq.topic.into(),
                    text: faq.text.into(),
                },
            )?)
            .await?
            .into_inner();
        if faq.answer.is_empty() || question.answerer_member_id.is_empty() {
            continue;
        }
        client
            .answer_question(in_region(
                region,
                v1::AnswerQuestionRequest {
                    id: question.id.clone(),
                    answerer_member_id: question.answerer_member_id.clone(),
                    answer: faq.answer.into(),
                },
            )?)
            .await?;
        let Some(((language, title, body), translations)) = faq.article.split_first() else {
            continue;
        };
        let article = client
            .create_article(in_region(
                region,
                v1::CreateArticleRequest {
                    question_id: question.id,
                    language: (*language).into(),
                    title: (*title).into(),
                    body: (*body).into(),
                },
            )?)
            .await?
            .into_inner();
        for (language, title, body) in translations {
            client
                .set_translation(in_region(
                    region,
                    v1::SetTranslationRequest {
                        article_id: article.id.clone(),
                        language: (*language).into(),
                        title: (*title).into(),
                        body: (*body).into(),
                    },
                )?)
                .await?;
        }
        if faq.stale {
            client
                .mark_reviewed(in_region(
                    region,
                    v1::MarkReviewedRequest {
                        id: article.id,
                        reviewed_on: stale_day.clone(),
                    },
                )?)
                .await?;
        }
    }
    Ok(())
}
