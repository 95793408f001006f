//! The helpdesk and knowledge base, as OpenEmbassy ran them: a question in Arabic
//! reaches the superlocal who speaks Arabic; an answer becomes an article that is
//! translated and found by a search in the language it is written in; and an
//! article nobody has checked for half a year is listed as stale.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Days, Utc};
use common::{Backend, Cluster, create, member_named, to};
use passage_proto::v1::{
    self, helpdesk_service_client::HelpdeskServiceClient,
    member_service_client::MemberServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    an_arabic_question_is_routed_to_the_arabic_speaking_superlocal,
    a_superlocal_who_leaves_passage_hands_her_questions_back,
    an_answered_question_becomes_an_article_found_in_dutch_but_not_in_english,
    an_article_not_reviewed_in_200_days_is_stale_at_180,
    answers_sent_together_are_each_written_once_and_a_second_answer_is_refused,
);

const REGION: &str = "amsterdam";

/// The Amsterdam helpdesk through the gateway.
struct Helpdesk {
    cluster: Cluster,
    members: MemberServiceClient<Channel>,
    helpdesk: HelpdeskServiceClient<Channel>,
}

impl Helpdesk {
    async fn open(backend: Backend) -> Helpdesk {
        let cluster = Cluster::start(backend).await;
        let gateway = cluster.gateway().await;
        Helpdesk {
            members: MemberServiceClient::new(gateway.clone()),
            helpdesk: HelpdeskServiceClient::new(gateway),
            cluster,
        }
    }

    async fn member(&mut self, name: &str, role: v1::MemberRole) -> String {
        let mut member = member_named(name, role);
        member.profile.as_mut().unwrap().share_across_regions = false;
        create(&mut self.members, REGION, member).await.id
    }

    async fn superlocal(&mut self, name: &str, languages: &[&str]) -> String {
        let id = self.member(name, v1::MemberRole::Local).await;
        self.register(&id, languages).await;
        id
    }

    async fn register(&mut self, id: &str, languages: &[&str]) -> v1::Answerer {
        self.helpdesk
            .register_answerer(to(
                REGION,
                v1::RegisterAnswererRequest {
                    member_id: id.into(),
                    languages: languages.iter().map(|l| (*l).to_owned()).collect(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn ask(
        &mut self,
        asker: &str,
        language: &str,
        text: &str,
    ) -> Result<v1::Question, tonic::Status> {
        self.helpdesk
            .ask_question(to(
                REGION,
                v1::AskQuestionRequest {
                    asker_member_id: asker.into(),
                    language: language.into(),
                    topic: "registration".into(),
                    text: text.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn answer(
        &mut self,
        question: &str,
        answerer: &str,
        answer: &str,
    ) -> Result<v1::Question, tonic::Status> {
        self.helpdesk
            .answer_question(to(
                REGION,
                v1::AnswerQuestionRequest {
                    id: question.into(),
                    answerer_member_id: answerer.into(),
                    answer: answer.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn article(
        &mut self,
        question: &str,
        language: &str,
        title: &str,
        body: &str,
    ) -> Result<v1::Article, tonic::Status> {
        self.helpdesk
            .create_article(to(
                REGION,
                v1::CreateArticleRequest {
                    question_id: question.into(),
                    language: language.into(),
                    title: title.into(),
                    body: body.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// An answered question turned into an article.
    async fn answered_article(&mut self, language: &str, title: &str, body: &str) -> v1::Article {
        let asker = self.member("Asker", v1::MemberRole::Newcomer).await;
        let answerer = self.superlocal("Answerer", &[language]).await;
        let question = self.ask(&asker, language, title).await.unwrap();
        self.answer(&question.id, &answerer, body).await.unwrap();
        self.article(&question.id, language, title, body)
            .await
            .unwrap()
    }

    async fn search(
        &mut self,
        language: &str,
        query: &str,
    ) -> Result<Vec<(String, i32)>, tonic::Status> {
        self.helpdesk
            .search_articles(to(
                REGION,
                v1::SearchArticlesRequest {
                    language: language.into(),
                    query: query.into(),
                    ..Default::default()
                },
            ))
            .await
            .map(|response| {
                response
                    .into_inner()
                    .matches
                    .into_iter()
                    .map(|m| (m.article.unwrap().id, m.score))
                    .collect()
            })
    }

    /// The whole ranking of a search, asked `page_size` articles at a time.
    async fn search_paged(&mut self, language: &str, query: &str, page_size: i32) -> Vec<String> {
        let mut found = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .helpdesk
                .search_articles(to(
                    REGION,
                    v1::SearchArticlesRequest {
                        language: language.into(),
                        query: query.into(),
                        page_size,
                        page_token,
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            found.extend(page.matches.into_iter().map(|m| m.article.unwrap().id));
            if page.next_page_token.is_empty() {
                return found;
            }
            page_token = page.next_page_token;
        }
    }

    async fn stale(&mut self, days: i32) -> Result<Vec<String>, tonic::Status> {
        self.helpdesk
            .list_stale_articles(to(
                REGION,
                v1::ListStaleArticlesRequest {
                    days,
                    ..Default::default()
                },
            ))
            .await
            .map(|response| {
                response
                    .into_inner()
                    .articles
                    .into_iter()
                    .map(|a| a.id)
                    .collect()
            })
    }

    async fn questions(&mut self, status: v1::QuestionStatus) -> Vec<v1::Question> {
        self.helpdesk
            .list_questions(to(
                REGION,
                v1::ListQuestionsRequest {
                    status: status as i32,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .questions
    }
}

async fn an_arabic_question_is_routed_to_the_arabic_speaking_superlocal(backend: Backend) {
    let mut desk = Helpdesk::open(backend).await;
    let oksana = desk.superlocal("Oksana Melnyk", &["uk", "ru", "nl"]).await;
    let samir = desk.superlocal("Samir Aziz", &["ar", "nl"]).await;
    let asker = desk.member("Yara Khalil", v1::MemberRole::Newcomer).await;

    let question = desk
        .ask(&asker, "ar", "كيف أسجل عنواني في البلدية؟")
        .await
        .unwrap();
    assert_eq!(question.status, v1::QuestionStatus::Routed as i32);
    assert_eq!(question.answerer_member_id, samir);
    let second = desk
        .ask(&asker, "ar", "متى أحصل على رقم BSN؟")
        .await
        .unwrap();
    assert_eq!(second.answerer_member_id, samir);

    // Nobody answers in Tigrinya yet: the question waits, listed as unrouted.
    let tigrinya = desk.ask(&asker, "ti", "ብኸመይ ስራሕ ክረክብ ይኽእል?").await.unwrap();
    assert_eq!(tigrinya.status, v1::QuestionStatus::Unrouted as i32);
    assert_eq!(tigrinya.answerer_member_id, "");
    let waiting = desk.questions(v1::QuestionStatus::Unrouted).await;
    assert_eq!(
        waiting.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
        [tigrinya.id.as_str()]
    );

    // Lina answers in Arabic and Tigrinya: the waiting question is hers at once,
    // and the next Arabic one goes to her, who has fewer open than Samir.
    let lina = desk.member("Lina Haile", v1::MemberRole::Local).await;
    let registered = desk.register(&lina, &["ti", "ar"]).await;
    assert_eq!(registered.open_questions, 1);
    assert!(
        desk.questions(v1::QuestionStatus::Unrouted)
            .await
            .is_empty()
    );
    let third = desk
        .ask(&asker, "ar", "هل أحتاج إلى تصريح عمل؟")
        .await
        .unwrap();
    assert_eq!(third.answerer_member_id, lina);

    // Only the assigned superlocal answers.
    let not_hers = desk
        .answer(&question.id, &oksana, "Maak een afspraak bij de gemeente.")
        .await
        .unwrap_err();
    assert_eq!(not_hers.code(), Code::FailedPrecondition);
    assert!(not_hers.message().contains(&samir), "{not_hers:?}");
    let answered = desk
        .answer(&question.id, &samir, "احجز موعدًا في البلدية عبر الموقع.")
        .await
        .unwrap();
    assert_eq!(answered.status, v1::QuestionStatus::Answered as i32);
    assert!(answered.answer_time.is_some());

    // Samir stops: his open question moves to Lina, the other Arabic speaker.
    let stopped = desk
        .helpdesk
        .unregister_answerer(to(
            REGION,
            v1::UnregisterAnswererRequest {
                member_id: samir.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stopped.rerouted.len(), 1);
    assert_eq!(stopped.rerouted[0].id, second.id);
    assert_eq!(stopped.rerouted[0].answerer_member_id, lina);

    let arabic_speakers = desk
        .helpdesk
        .list_answerers(to(
            REGION,
            v1::ListAnswerersRequest {
                language: "ar".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .answerers;
    assert_eq!(arabic_speakers.len(), 1);
    assert_eq!(arabic_speakers[0].member_id, lina);
    assert_eq!(arabic_speakers[0].open_questions, 3);

    let bad = desk.ask(&asker, "Arabic", "?").await.unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().starts_with("language"), "{bad:?}");
    let long = desk.ask(&asker, "ar", &"س".repeat(4001)).await.unwrap_err();
    assert!(long.message().starts_with("text"), "{long:?}");
    desk.cluster.stop().await;
}

async fn an_answered_question_becomes_an_article_found_in_dutch_but_not_in_english(
    backend: Backend,
) {
    let mut desk = Helpdesk::open(backend).await;
    let oksana = desk.superlocal("Oksana Melnyk", &["uk"]).await;
    let asker = desk.member("Iryna Bondar", v1::MemberRole::Newcomer).await;
    let question = desk
        .ask(
            &asker,
            "uk",
            "Як зареєструватися в муніципалітеті Амстердама?",
        )
        .await
        .unwrap();

    // Only an answered question becomes an article.
    let early = desk
        .article(&question.id, "uk", "Реєстрація", "Запишіться на прийом.")
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    desk.answer(
        &question.id,
        &oksana,
        "Запишіться на прийом у муніципалітеті (gemeente).",
    )
    .await
    .unwrap();
    let article = desk
        .article(
            &question.id,
            "uk",
            "Реєстрація в муніципалітеті",
            "Запишіться на прийом у муніципалітеті через сайт і візьміть паспорт.",
        )
        .await
        .unwrap();
    assert_eq!(article.original_language, "uk");
    let twice = desk
        .article(&question.id, "uk", "Знову", "Ще раз.")
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);

    // A Dutch translation.
    let translated = desk
        .helpdesk
        .set_translation(to(
            REGION,
            v1::SetTranslationRequest {
                article_id: article.id.clone(),
                language: "nl".into(),
                title: "Inschrijven bij de gemeente".into(),
                body:
                    "Maak online een afspraak bij de gemeente Amsterdam en neem je paspoort mee. \
                       Na de inschrijving krijg je een BSN."
                        .into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let languages: Vec<&str> = translated
        .translations
        .iter()
        .map(|t| t.language.as_str())
        .collect();
    assert_eq!(languages, ["nl", "uk"]);

    // Found by a Dutch search, whatever the case or punctuation; every word must
    // match; not found in English, the article has no English text.
    let found = desk.search("nl", "Inschrijven, GEMEENTE!").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, article.id);
    assert!(
        desk.search("nl", "inschrijven fiets")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        desk.search("en", "register municipality")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(desk.search("en", "gemeente").await.unwrap().is_empty());
    let ukrainian = desk.search("uk", "муніципалітеті").await.unwrap();
    assert_eq!(ukrainian.len(), 1);

    // A second article that only mentions the municipality ranks below the one
    // about it.
    let other = desk
        .answered_article(
            "nl",
            "Huisarts vinden",
            "Zoek een huisarts in je buurt; de gemeente heeft een lijst.",
        )
        .await;
    let ranked = desk.search("nl", "gemeente").await.unwrap();
    assert_eq!(
        ranked.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        [article.id.as_str(), other.id.as_str()]
    );
    assert!(ranked[0].1 > ranked[1].1);
    assert_eq!(
        desk.search_paged("nl", "gemeente", 1).await,
        [article.id.clone(), other.id.clone()],
        "one article a page, in the same order"
    );

    // A replaced translation is searched by its new words only.
    desk.helpdesk
        .set_translation(to(
            REGION,
            v1::SetTranslationRequest {
                article_id: other.id.clone(),
                language: "nl".into(),
                title: "Huisarts vinden".into(),
                body: "Zoek een huisarts in je buurt.".into(),
            },
        ))
        .await
        .unwrap();
    let after_edit = desk.search("nl", "gemeente").await.unwrap();
    assert_eq!(after_edit.len(), 1);

    let only_common_words = desk.search("nl", "de het een").await.unwrap_err();
    assert_eq!(only_common_words.code(), Code::InvalidArgument);
    assert!(
        only_common_words.message().starts_with("query"),
        "{only_common_words:?}"
    );
    common::chapter::refusal_of(
        &only_common_words,
        "query",
        v1::RefusalKind::NothingToSearch,
        "de het een",
    );
    desk.cluster.stop().await;
}

async fn an_article_not_reviewed_in_200_days_is_stale_at_180(backend: Backend) {
    let mut desk = Helpdesk::open(backend).await;
    let old = desk
        .answered_article(
            "nl",
            "Zorgtoeslag aanvragen",
            "Vraag zorgtoeslag aan bij Dienst Toeslagen.",
        )
        .await;
    let fresh = desk
        .answered_article(
            "en",
            "Opening a bank account",
            "Bring your passport and BSN.",
        )
        .await;
    assert!(desk.stale(180).await.unwrap().is_empty());

    // The chapter last checked it 200 days ago.
    let today = Utc::now().date_naive();
    let reviewed_on = (today - Days::new(200)).format("%Y-%m-%d").to_string();
    let reviewed = desk
        .helpdesk
        .mark_reviewed(to(
            REGION,
            v1::MarkReviewedRequest {
                id: old.id.clone(),
                reviewed_on: reviewed_on.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reviewed.last_reviewed_on, reviewed_on);

    assert_eq!(desk.stale(180).await.unwrap(), [old.id.as_str()]);
    assert_eq!(
        desk.stale(0).await.unwrap(),
        [old.id.as_str()],
        "180 by default"
    );
    assert!(desk.stale(250).await.unwrap().is_empty());
    assert!(!desk.stale(1).await.unwrap().contains(&fresh.id));
    let too_long = desk.stale(4000).await.unwrap_err();
    assert_eq!(too_long.code(), Code::InvalidArgument);
    assert!(too_long.message().starts_with("days"), "{too_long:?}");

    // Reviewed again today: no longer stale. A review cannot be in the future.
    desk.helpdesk
        .mark_reviewed(to(
            REGION,
            v1::MarkReviewedRequest {
                id: old.id.clone(),
                reviewed_on: String::new(),
            },
        ))
        .await
        .unwrap();
    assert!(desk.stale(180).await.unwrap().is_empty());
    let tomorrow = (today + Days::new(1)).format("%Y-%m-%d").to_string();
    let future = desk
        .helpdesk
        .mark_reviewed(to(
            REGION,
            v1::MarkReviewedRequest {
                id: old.id.clone(),
                reviewed_on: tomorrow.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(future.code(), Code::InvalidArgument);
    assert!(future.message().starts_with("reviewed_on"), "{future:?}");
    common::chapter::refusal_of(
        &future,
        "reviewed_on",
        v1::RefusalKind::InTheFuture,
        &tomorrow,
    );
    desk.cluster.stop().await;
}

async fn a_superlocal_who_leaves_passage_hands_her_questions_back(backend: Backend) {
    let mut desk = Helpdesk::open(backend).await;
    let samir = desk.superlocal("Samir Aziz", &["ar", "nl"]).await;
    let asker = desk.member("Yara Khalil", v1::MemberRole::Newcomer).await;
    let question = desk
        .ask(&asker, "ar", "كيف أسجل عنواني في البلدية؟")
        .await
        .unwrap();
    assert_eq!(question.answerer_member_id, samir);

    // Samir asks the chapter to delete his membership: nobody else speaks Arabic,
    // so his open question waits again, and new ones are not routed to him.
    desk.members
        .delete_member(to(REGION, v1::DeleteMemberRequest { id: samir.clone() }))
        .await
        .unwrap();
    let waiting = desk.questions(v1::QuestionStatus::Unrouted).await;
    assert_eq!(
        waiting.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
        [question.id.as_str()]
    );
    let next = desk
        .ask(&asker, "ar", "هل أحتاج إلى تصريح عمل؟")
        .await
        .unwrap();
    assert_eq!(next.status, v1::QuestionStatus::Unrouted as i32);

    // A new Arabic-speaking superlocal takes both.
    let lina = desk.member("Lina Haile", v1::MemberRole::Local).await;
    assert_eq!(desk.register(&lina, &["ar"]).await.open_questions, 2);
    desk.cluster.stop().await;
}

async fn answers_sent_together_are_each_written_once_and_a_second_answer_is_refused(
    backend: Backend,
) {
    let mut desk = Helpdesk::open(backend).await;
    let samir = desk.superlocal("Samir Aziz", &["ar"]).await;
    let oksana = desk.superlocal("Oksana Melnyk", &["uk"]).await;
    let asker = desk.member("Yara Khalil", v1::MemberRole::Newcomer).await;
    let mut questions = Vec::new();
    for n in 0..12 {
        let question = desk
            .ask(&asker, "ar", &format!("سؤال رقم {n}"))
            .await
            .unwrap();
        assert_eq!(question.answerer_member_id, samir);
        questions.push(question.id);
    }
    let ukrainian = desk.ask(&asker, "uk", "Де отримати BSN?").await.unwrap();
    assert_eq!(ukrainian.answerer_member_id, oksana);

    // Samir clears his list on a Sunday evening, all at once, and his phone sends
    // the first answer twice; Oksana answers hers meanwhile, and once more.
    let mut calls = tokio::task::JoinSet::new();
    let mut sent = |desk: &Helpdesk, question: &str, answerer: &str, text: String| {
        let mut helpdesk = desk.helpdesk.clone();
        let request = v1::AnswerQuestionRequest {
            id: question.into(),
            answerer_member_id: answerer.into(),
            answer: text,
        };
        let question = question.to_owned();
        calls.spawn(async move {
            let answered = helpdesk.answer_question(to(REGION, request)).await;
            (question, answered.map(tonic::Response::into_inner))
        });
    };
    for (n, question) in questions.iter().enumerate() {
        sent(&desk, question, &samir, format!("جواب {n}"));
    }
    sent(&desk, &questions[0], &samir, "جواب 0".into());
    sent(&desk, &ukrainian.id, &oksana, "У гемеенте.".into());
    sent(&desk, &ukrainian.id, &oksana, "У гемеенте.".into());
    let mut answered = std::collections::BTreeMap::<String, usize>::new();
    let mut refused = Vec::new();
    while let Some(call) = calls.join_next().await {
        match call.unwrap() {
            (question, Ok(saved)) => {
                assert_eq!(saved.id, question);
                assert_eq!(saved.status, v1::QuestionStatus::Answered as i32);
                *answered.entry(question).or_default() += 1;
            }
            (question, Err(status)) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert!(status.message().contains("answered"), "{status:?}");
                refused.push(question);
            }
        }
    }
    // Every question answered exactly once; each second answer refused by name.
    assert_eq!(answered.len(), 13);
    assert!(answered.values().all(|times| *times == 1), "{answered:?}");
    refused.sort();
    let mut twice = vec![questions[0].clone(), ukrainian.id.clone()];
    twice.sort();
    assert_eq!(refused, twice);
    assert!(desk.questions(v1::QuestionStatus::Routed).await.is_empty());
    assert_eq!(desk.questions(v1::QuestionStatus::Answered).await.len(), 13);

    // A question nobody answered in its batch still refuses a stranger.
    let late = desk.ask(&asker, "ar", "سؤال أخير").await.unwrap();
    let not_hers = desk.answer(&late.id, &oksana, "?").await.unwrap_err();
    assert_eq!(not_hers.code(), Code::FailedPrecondition);
    desk.cluster.stop().await;
}
