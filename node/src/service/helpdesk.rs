//! `passage.v1.HelpdeskService`: questions in any language, routed to the
//! answerers ("superlocals") who speak it, and answered; the knowledge base built
//! from the answers is in `knowledge_base.rs`.

use chrono::Utc;
use passage_proto::v1::{self, helpdesk_service_server::HelpdeskService};
use passage_server::access::with_subject;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::answering::{self, answerable};
use crate::community::{self, Acting, CommunityRole};
use crate::context::NodeContext;
use crate::convert::helpdesk::{answerer_to_wire, question_to_wire};
use crate::convert::{enums, json_strings};
use crate::error::{Error, Result};
use crate::knowledge_base;
use crate::membership::member_here;
use crate::store::entity::{helpdesk_answerer, helpdesk_question};
use crate::store::helpdesk::{self as store, QuestionFilter};
use crate::store::{PageRequest, rows};
use crate::validate;

/// Longest question or answer, in characters.
const MAX_TEXT: usize = 4000;
/// Longest topic, in characters.
const MAX_TOPIC: usize = 100;
/// Most languages one answerer registers.
const MAX_LANGUAGES: usize = 20;

/// Serves `HelpdeskService` from the node's database.
pub struct HelpdeskApi {
    context: NodeContext,
    /// Answers are written together, a transaction per batch (group commit).
    answers: tokio::sync::mpsc::Sender<answering::Answer>,
}

impl HelpdeskApi {
    /// Serves the helpdesk; must be called inside a Tokio runtime (it starts the
    /// task that writes answers).
    pub fn new(context: NodeContext) -> Self {
        let answers = answering::start(context.clone());
        HelpdeskApi { context, answers }
    }
}

fn optional_id(field: &str, value: &str) -> Result<Option<Uuid>> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        validate::id(field, value).map(Some)
    }
}

#[tonic::async_trait]
impl HelpdeskService for HelpdeskApi {
    async fn register_answerer(
        &self,
        request: Request<v1::RegisterAnswererRequest>,
    ) -> Result<Response<v1::Answerer>, Status> {
        let request = request.into_inner();
        let member_id = validate::id("member_id", &request.member_id)?;
        let languages = validate::list(
            "languages",
            &request.languages,
            MAX_LANGUAGES,
            validate::language,
        )?;
        if languages.is_empty() {
            return Err(Error::missing("languages", "must name at least one language").into());
        }
        let (_turn, txn) = self.context.begin_write().await?;
        member_here(
            &txn,
            &self.context.region,
            "member_id",
            member_id,
            "answer its helpdesk questions",
        )
        .await?;
        let saved = match helpdesk_answerer::Entity::find_by_id(member_id)
            .one(&txn)
            .await
            .map_err(Error::from)?
        {
            Some(existing) => {
                let mut active = existing.into_active_model();
                active.languages = Set(json_strings(&languages));
                active.update(&txn).await.map_err(Error::from)?
            }
            None => {
                rows::insert::<helpdesk_answerer::Entity>(
                    &txn,
                    helpdesk_answerer::Model {
                        member_id,
                        languages: json_strings(&languages),
                        registered_at: Utc::now(),
                    },
                )
                .await?
            }
        };
        // Questions that waited for someone who speaks their language.
        let routed = store::route_again(&txn, "unrouted", None, Some(&languages), |_| {}).await?;
        let open = store::open_counts(&txn).await?;
        txn.commit().await.map_err(Error::from)?;
        self.context.mail_ready.notify_one();
        tracing::info!(%member_id, ?languages, routed, "helpdesk answerer registered");
        Ok(with_subject(
            Response::new(answerer_to_wire(
                &saved,
                open.get(&member_id).copied().unwrap_or(0),
            )),
            member_id.to_string(),
        ))
    }

    async fn unregister_answerer(
        &self,
        request: Request<v1::UnregisterAnswererRequest>,
    ) -> Result<Response<v1::UnregisterAnswererResponse>, Status> {
        let member_id = validate::id("member_id", &request.into_inner().member_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let Some(rerouted) = store::withdraw_answerer(&txn, member_id).await? else {
            return Err(Error::not_found("answerer", member_id).into());
        };
        let rerouted: Vec<_> = rerouted.iter().map(question_to_wire).collect();
        txn.commit().await.map_err(Error::from)?;
        self.context.mail_ready.notify_one();
        tracing::info!(%member_id, rerouted = rerouted.len(), "helpdesk answerer unregistered");
        Ok(with_subject(
            Response::new(v1::UnregisterAnswererResponse { rerouted }),
            member_id.to_string(),
        ))
    }

    async fn list_answerers(
        &self,
        request: Request<v1::ListAnswerersRequest>,
    ) -> Result<Response<v1::ListAnswerersResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let language = if request.language.trim().is_empty() {
            None
        } else {
            Some(validate::language("language", &request.language)?)
        };
        let page = store::list_answerers(&self.context.db, page, language.as_deref()).await?;
        let open = store::open_counts(&self.context.db).await?;
        Ok(Response::new(v1::ListAnswerersResponse {
            next_page_token: page.next_page_token(),
            answerers: page
                .items
                .iter()
                .map(|a| answerer_to_wire(a, open.get(&a.member_id).copied().unwrap_or(0)))
                .collect(),
        }))
    }

    async fn ask_question(
        &self,
        request: Request<v1::AskQuestionRequest>,
    ) -> Result<Response<v1::Question>, Status> {
        let asker = validate::id("asker_member_id", &request.get_ref().asker_member_id)?;
        crate::access::acts_for(&request, asker)?;
        let request = request.into_inner();
        let language = validate::language("language", &request.language)?;
        let topic = validate::required_text("topic", &request.topic, MAX_TOPIC)?;
        let text = validate::required_text("text", &request.text, MAX_TEXT)?;
        let (_turn, txn) = self.context.begin_write().await?;
        member_here(
            &txn,
            &self.context.region,
            "asker_member_id",
            asker,
            "ask its helpdesk",
        )
        .await?;
        let asked = rows::insert::<helpdesk_question::Entity>(
            &txn,
            helpdesk_question::Model {
                id: Uuid::now_v7(),
                asker_member_id: asker,
                language,
                topic,
                text,
                status: "unrouted".into(),
                answerer_member_id: None,
                answer: String::new(),
                article_id: None,
                created_at: Utc::now(),
                answered_at: None,
                external_id: None,
            },
        )
        .await?;
        crate::store::tally::question(&txn, None, Some(&asked)).await?;
        let routed = store::route(&txn, asked).await?;
        txn.commit().await.map_err(Error::from)?;
        self.context.mail_ready.notify_one();
        tracing::info!(
            question_id = %routed.id, language = %routed.language, status = %routed.status,
            answerer = ?routed.answerer_member_id, "helpdesk question asked"
        );
        Ok(with_subject(
            Response::new(question_to_wire(&routed)),
            asker.to_string(),
        ))
    }

    async fn get_question(
        &self,
        request: Request<v1::GetQuestionRequest>,
    ) -> Result<Response<v1::Question>, Status> {
        let id = validate::id("id", &request.get_ref().id)?;
        let acting = Acting::of(&request)?;
        let row = rows::find::<helpdesk_question::Entity>(&self.context.db, id, "question").await?;
        let mut question = question_to_wire(&row);
        match acting {
            Acting::Member(member) if member == row.asker_member_id => {}
            Acting::Member(member) if row.answerer_member_id == Some(member) => {
                // The superlocal it is routed to reads the question, not who asked.
                community::require(&self.context.db, acting, CommunityRole::Superlocal).await?;
                question.asker_member_id.clear();
            }
            _ => crate::access::acts_for(&request, row.asker_member_id)?,
        }
        Ok(with_subject(
            Response::new(question),
            row.asker_member_id.to_string(),
        ))
    }

    async fn list_questions(
        &self,
        request: Request<v1::ListQuestionsRequest>,
    ) -> Result<Response<v1::ListQuestionsResponse>, Status> {
        let limited_to = crate::access::member_limit(&request)?;
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let answerer_member_id = optional_id("answerer_member_id", &request.answerer_member_id)?;
        // A superlocal lists the questions routed to them, without who asked.
        let as_answerer = match (limited_to, answerer_member_id) {
            (Some(own), Some(answerer)) if own == answerer => {
                if !request.asker_member_id.trim().is_empty() {
                    return Err(Error::PermissionDenied(
                        "asker_member_id: a superlocal lists the questions routed to them, not by asker"
                            .into(),
                    )
                    .into());
                }
                community::require(
                    &self.context.db,
                    Acting::Member(own),
                    CommunityRole::Superlocal,
                )
                .await?;
                true
            }
            _ => false,
        };
        let asker_member_id = match (
            limited_to,
            optional_id("asker_member_id", &request.asker_member_id)?,
        ) {
            (_, asked_for) if as_answerer => asked_for,
            (None, asked_for) => asked_for,
            (Some(own), None) => Some(own),
            (Some(own), Some(asked_for)) if own == asked_for => Some(own),
            (Some(_), Some(_)) => {
                return Err(Error::PermissionDenied(
                    "asker_member_id: a member may only list their own questions".into(),
                )
                .into());
            }
        };
        let filter = QuestionFilter {
            status: enums::filter::<v1::QuestionStatus>("status", request.status)?,
            language: if request.language.trim().is_empty() {
                None
            } else {
                Some(validate::language("language", &request.language)?)
            },
            answerer_member_id,
            asker_member_id,
        };
        let page = store::list_questions(&self.context.db, page, &filter).await?;
        let response = Response::new(v1::ListQuestionsResponse {
            next_page_token: page.next_page_token(),
            questions: page
                .items
                .iter()
                .map(|row| {
                    let mut question = question_to_wire(row);
                    if as_answerer {
                        question.asker_member_id.clear();
                    }
                    question
                })
                .collect(),
        });
        Ok(match filter.asker_member_id {
            Some(asker) => with_subject(response, asker.to_string()),
            None => response,
        })
    }

    async fn answer_question(
        &self,
        request: Request<v1::AnswerQuestionRequest>,
    ) -> Result<Response<v1::Question>, Status> {
        let acting = Acting::of(&request)?;
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let answerer = validate::id("answerer_member_id", &request.answerer_member_id)?;
        let answer = validate::required_text("answer", &request.answer, MAX_TEXT)?;
        acting.named("answerer_member_id", answerer)?;
        // Checked before the write turn, so the turn holds only the writes: the
        // answer is written only if the question is still routed to her, so a
        // question re-routed meanwhile (she stopped answering) is refused as if
        // it had been read in the turn.
        community::require(&self.context.db, acting, CommunityRole::Superlocal).await?;
        let was = rows::find::<helpdesk_question::Entity>(&self.context.db, id, "question").await?;
        answerable(&was, answerer)?;
        let saved = helpdesk_question::Model {
            status: "answered".into(),
            answer,
            answered_at: Some(Utc::now()),
            ..was.clone()
        };
        // Written with the other answers waiting (group commit).
        let (done, written) = tokio::sync::oneshot::channel();
        let unavailable = || Error::Unavailable("the node is shutting down; try again".into());
        self.answers
            .send(answering::Answer {
                was,
                answered: saved.clone(),
                done,
            })
            .await
            .map_err(|_| unavailable())?;
        written.await.map_err(|_| unavailable())??;
        tracing::info!(question_id = %id, %answerer, "helpdesk question answered");
        let mut question = question_to_wire(&saved);
        if acting != Acting::ChapterAdmin {
            question.asker_member_id.clear();
        }
        Ok(with_subject(
            Response::new(question),
            saved.asker_member_id.to_string(),
        ))
    }

    async fn create_article(
        &self,
        request: Request<v1::CreateArticleRequest>,
    ) -> Result<Response<v1::Article>, Status> {
        let acting = Acting::of(&request)?;
        Ok(Response::new(
            knowledge_base::create_article(&self.context, acting, request.into_inner()).await?,
        ))
    }

    async fn get_article(
        &self,
        request: Request<v1::GetArticleRequest>,
    ) -> Result<Response<v1::Article>, Status> {
        Ok(Response::new(
            knowledge_base::get_article(&self.context, &request.into_inner().id).await?,
        ))
    }

    async fn set_translation(
        &self,
        request: Request<v1::SetTranslationRequest>,
    ) -> Result<Response<v1::Article>, Status> {
        let acting = Acting::of(&request)?;
        Ok(Response::new(
            knowledge_base::set_translation(&self.context, acting, request.into_inner()).await?,
        ))
    }

    async fn mark_reviewed(
        &self,
        request: Request<v1::MarkReviewedRequest>,
    ) -> Result<Response<v1::Article>, Status> {
        Ok(Response::new(
            knowledge_base::mark_reviewed(&self.context, request.into_inner()).await?,
        ))
    }

    async fn list_articles(
        &self,
        request: Request<v1::ListArticlesRequest>,
    ) -> Result<Response<v1::ListArticlesResponse>, Status> {
        Ok(Response::new(
            knowledge_base::list_articles(&self.context, request.into_inner()).await?,
        ))
    }

    async fn search_articles(
        &self,
        request: Request<v1::SearchArticlesRequest>,
    ) -> Result<Response<v1::SearchArticlesResponse>, Status> {
        Ok(Response::new(
            knowledge_base::search_articles(&self.context, request.into_inner()).await?,
        ))
    }

    async fn list_stale_articles(
        &self,
        request: Request<v1::ListStaleArticlesRequest>,
    ) -> Result<Response<v1::ListArticlesResponse>, Status> {
        Ok(Response::new(
            knowledge_base::list_stale_articles(&self.context, request.into_inner()).await?,
        ))
    }
}
