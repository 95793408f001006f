//! The community roles as the Amsterdam chapter sets them up, for the node-level
//! and browser stories alike: an opportunity waiting in review, a superlocal with
//! a question routed to them, a cohort in aftercare with its coach and
//! participants.

use chrono::{Datelike, Days, NaiveDate, Utc};
use passage_proto::v1::{self, helpdesk_service_client::HelpdeskServiceClient};

use super::chapter::{AMSTERDAM, Chapter, employer};
use super::to;

/// Today, as the node sees it (UTC).
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl Chapter {
    /// An organisation's opportunity, submitted for community review; its id.
    pub async fn in_review(&mut self, title: &str) -> String {
        let organisation = self.organisation(employer("Zorggroep Oost")).await;
        let id = self
            .draft(v1::Opportunity {
                organisation_id: organisation,
                title: title.into(),
                description: "Help residents with their daily care, with a mentor.".into(),
                kind: v1::OpportunityKind::Job as i32,
                sector: "healthcare".into(),
                skills: vec!["care".into()],
                languages: vec!["nl".into()],
                hours_per_week: 24,
                paid: true,
                location: "Amsterdam-Oost".into(),
                ..Default::default()
            })
            .await;
        self.submit_for_review(&id).await.unwrap();
        id
    }

    /// Registers `member` as a helpdesk answerer in `languages`.
    pub async fn register_answerer(&mut self, member: &str, languages: &[&str]) {
        HelpdeskServiceClient::new(self.gateway_channel())
            .register_answerer(to(
                AMSTERDAM,
                v1::RegisterAnswererRequest {
                    member_id: member.into(),
                    languages: languages.iter().map(|l| (*l).to_owned()).collect(),
                },
            ))
            .await
            .unwrap();
    }

    /// `asker` asks the helpdesk in `language` (through the chapter admin); the
    /// question.
    pub async fn question(&mut self, asker: &str, language: &str, text: &str) -> v1::Question {
        HelpdeskServiceClient::new(self.gateway_channel())
            .ask_question(to(
                AMSTERDAM,
                v1::AskQuestionRequest {
                    asker_member_id: asker.into(),
                    language: language.into(),
                    topic: "work".into(),
                    text: text.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    /// A programme with six months of aftercare and its cohort that ran for
    /// sixteen weeks and ended a week ago: in aftercare now. The cohort.
    pub async fn cohort_in_aftercare(&mut self) -> v1::Cohort {
        let programme = self
            .coaching
            .create_programme(to(
                AMSTERDAM,
                v1::CreateProgrammeRequest {
                    programme: Some(v1::CoachingProgramme {
                        name: "Refugee on Board".into(),
                        mandatory_components: vec![v1::CoachingComponent::JobCoaching as i32],
                        aftercare_months: 6,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let ends_on = today() - Days::new(7);
        let starts_on = ends_on - Days::new(112);
        self.coaching
            .create_cohort(to(
                AMSTERDAM,
                v1::CreateCohortRequest {
                    cohort: Some(v1::Cohort {
                        programme_id: programme.id,
                        year: starts_on.year(),
                        starts_on: starts_on.to_string(),
                        ends_on: ends_on.to_string(),
                        capacity: 12,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    /// Enrols newcomer `member` in the cohort (by id).
    pub async fn enrol_participant(&mut self, cohort: &str, member: &str) {
        self.coaching
            .enrol_participant(to(
                AMSTERDAM,
                v1::EnrolParticipantRequest {
                    cohort_id: cohort.into(),
                    member_id: member.into(),
                },
            ))
            .await
            .unwrap();
    }

    /// The chapter admin assigns `member` to coach the cohort.
    pub async fn assign_coach(&mut self, cohort: &str, member: &str) {
        self.coaching
            .assign_coach(to(
                AMSTERDAM,
                v1::AssignCoachRequest {
                    cohort_id: cohort.into(),
                    coach_member_id: member.into(),
                },
            ))
            .await
            .unwrap();
    }

    /// A job-coaching session of the cohort on its first day; the session.
    pub async fn first_session(&mut self, cohort: &v1::Cohort) -> v1::CoachingSession {
        self.coaching
            .schedule_coaching_session(to(
                AMSTERDAM,
                v1::ScheduleCoachingSessionRequest {
                    session: Some(v1::CoachingSession {
                        cohort_id: cohort.id.clone(),
                        component: v1::CoachingComponent::JobCoaching as i32,
                        held_on: cohort.starts_on.clone(),
                        topic: "Your CV".into(),
                        coach_name: "Sanne".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }
}
