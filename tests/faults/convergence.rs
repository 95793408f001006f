//! The end state once the trouble is over: every region holds one identical set of
//! shared profiles, each as its home region holds it; no acknowledged edit is
//! lost, no deleted member comes back, every outbox is empty and no region has a
//! backlog at the gateway.

use std::collections::BTreeMap;
use std::time::Duration;

use passage_proto::merge::is_shared;
use passage_proto::v1::{self, ProfileState, SharedProfile};
use prost::Message as _;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::time::Instant;
use tonic::Code;

use crate::edits::{Admin, Fate};
use crate::processes::Federation;
use crate::{REGIONS, ms};

/// How long every region may take to agree once the trouble is over.
const CONVERGENCE: Duration = Duration::from_secs(60);

/// What every region holds, read from the nodes (members) and their databases
/// (shared profiles of other regions' members).
struct View {
    /// Per region, its own members' profiles, from `ListMembers`.
    homes: BTreeMap<String, BTreeMap<String, SharedProfile>>,
    /// Per region, the shared profiles it holds of other regions' members.
    replicas: BTreeMap<String, BTreeMap<String, SharedProfile>>,
    /// Per region, changes still in its outbox.
    outbox: BTreeMap<String, i64>,
}

impl View {
    /// Every shared profile, by member, as its home region holds it.
    fn shared(&self) -> BTreeMap<String, (String, SharedProfile)> {
        let mut shared = BTreeMap::new();
        for (region, members) in &self.homes {
            for (id, profile) in members {
                if profile.share_across_regions {
                    shared.insert(id.clone(), (region.clone(), profile.clone()));
                }
            }
        }
        shared
    }

    /// What is still different between the regions; empty once they agree.
    fn differences(&self) -> Vec<String> {
        let shared = self.shared();
        let mut differences = Vec::new();
        for region in REGIONS {
            let expected: BTreeMap<&String, &SharedProfile> = shared
                .iter()
                .filter(|(_, (home, _))| home != region)
                .map(|(id, (_, profile))| (id, profile))
                .collect();
            let held = &self.replicas[region];
            for (id, profile) in &expected {
                match held.get(*id) {
                    None => differences.push(format!("{region} lacks {id}")),
                    Some(copy) if copy != *profile => differences.push(format!(
                        "{region} holds {id} as {copy:?}, its home as {profile:?}"
                    )),
                    Some(_) => {}
                }
            }
            for id in held.keys() {
                if !expected.contains_key(id) {
                    differences.push(format!(
                        "{region} still shows {id}, which its home region does not share"
                    ));
                }
            }
            if self.outbox[region] > 0 {
                differences.push(format!(
                    "{region} has {} changes in its outbox",
                    self.outbox[region]
                ));
            }
        }
        differences
    }
}

impl Federation {
    async fn view(&self, databases: &BTreeMap<String, DatabaseConnection>) -> Result<View, String> {
        let mut homes = BTreeMap::new();
        let mut replicas = BTreeMap::new();
        let mut outbox = BTreeMap::new();
        for region in REGIONS {
            let mut client = self.member_client(region);
            let mut members = BTreeMap::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_members(v1::ListMembersRequest {
                        page_size: 500,
                        page_token,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| format!("{region}: {e}"))?
                    .into_inner();
                for member in page.members {
                    members.insert(member.id, member.profile.unwrap_or_default());
                }
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            homes.insert(region.to_owned(), members);

            let db = &databases[region];
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT state FROM remote_profile",
                ))
                .await
                .map_err(|e| format!("{region}: {e}"))?;
            let mut shared = BTreeMap::new();
            for row in rows {
                let bytes: Vec<u8> = row.try_get("", "state").map_err(|e| e.to_string())?;
                let state = ProfileState::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
                if is_shared(&state) {
                    shared.insert(state.member_id.clone(), state.profile.unwrap_or_default());
                }
            }
            replicas.insert(region.to_owned(), shared);

            let count = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT COUNT(*) AS waiting FROM outbox",
                ))
                .await
                .map_err(|e| format!("{region}: {e}"))?
                .map(|row| row.try_get::<i64>("", "waiting"))
                .transpose()
                .map_err(|e| e.to_string())?
                .unwrap_or(0);
            outbox.insert(region.to_owned(), count);
        }
        Ok(View {
            homes,
            replicas,
            outbox,
        })
    }

    /// Waits until every region holds the same shared profiles as their home
    /// regions, with nothing left to send or apply, then checks every acknowledged
    /// call against what the home regions hold and what every region answers.
    pub(crate) async fn assert_converged(&self, admins: &[Admin]) {
        let problems: Vec<&String> = admins.iter().flat_map(|a| &a.problems).collect();
        assert!(
            problems.is_empty(),
            "nodes answered against earlier acknowledged edits:\n{problems:#?}"
        );

        let mut databases = BTreeMap::new();
        for region in REGIONS {
            let db = Database::connect(self.database_urls[region].as_str())
                .await
                .unwrap();
            databases.insert(region.to_owned(), db);
        }
        let deadline = Instant::now() + CONVERGENCE;
        let view = loop {
            let view = self.view(&databases).await;
            let status = self.sync_status().await;
            // The gateway's view first: it tells why the regions differ.
            let mut waiting = match &status {
                Ok(status) => status
                    .regions
                    .iter()
                    .filter(|region| !region.connected || region.backlog > 0)
                    .map(|region| {
                        format!(
                            "gateway: {} connected {}, cursor {}, backlog {} (log head {})",
                            region.region,
                            region.connected,
                            region.cursor,
                            region.backlog,
                            status.log_head
                        )
                    })
                    .collect(),
                Err(error) => vec![error.clone()],
            };
            match &view {
                Ok(view) => waiting.extend(view.differences()),
                Err(error) => waiting.push(error.clone()),
            }
            if waiting.is_empty() {
                break view.unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "the regions did not agree within {CONVERGENCE:?}; {} differences, such as:\n{}",
                waiting.len(),
                waiting[..waiting.len().min(15)].join("\n")
            );
            tokio::time::sleep(ms(250)).await;
        };

        // No acknowledged edit lost, no deleted member back.
        let mut lost = Vec::new();
        for admin in admins {
            let home = &view.homes[admin.region];
            for member in &admin.members {
                match (member.fate, home.get(&member.id)) {
                    (Fate::Live, None) => lost.push(format!(
                        "{}: member {} was acknowledged and is gone",
                        admin.region, member.id
                    )),
                    (Fate::Deleted, Some(_)) => lost.push(format!(
                        "{}: member {} was deleted and is back",
                        admin.region, member.id
                    )),
                    (_, Some(held)) => {
                        if let Err(error) = member.explains(held) {
                            lost.push(format!("{}: {error}", admin.region));
                        }
                    }
                    (_, None) => {}
                }
            }
        }
        assert!(lost.is_empty(), "acknowledged edits lost:\n{lost:#?}");

        // What every region answers a client.
        let shared = view.shared();
        let mut wrong = Vec::new();
        for region in REGIONS {
            let mut client = self.member_client(region);
            for (id, (home, profile)) in &shared {
                if home == region {
                    continue;
                }
                match client
                    .get_member(v1::GetMemberRequest { id: id.clone() })
                    .await
                {
                    Ok(answer) => {
                        let answer = answer.into_inner();
                        if answer.profile.as_ref() != Some(profile) || answer.regional.is_some() {
                            wrong.push(format!("{region} answers {id} with {answer:?}"));
                        }
                    }
                    Err(status) => wrong.push(format!("{region} answers {id} with {status}")),
                }
            }
            let hidden = view
                .homes
                .iter()
                .filter(|(home, _)| home.as_str() != region)
                .flat_map(|(_, members)| members.iter())
                .filter(|(_, profile)| !profile.share_across_regions)
                .map(|(id, _)| id.clone());
            let deleted = admins
                .iter()
                .flat_map(|a| &a.members)
                .filter(|m| m.fate == Fate::Deleted)
                .map(|m| m.id.clone());
            for id in hidden.chain(deleted) {
                match client
                    .get_member(v1::GetMemberRequest { id: id.clone() })
                    .await
                {
                    Err(status) if status.code() == Code::NotFound => {}
                    other => wrong.push(format!(
                        "{region} answers {id}, which is not shared with it, with {other:?}"
                    )),
                }
            }
        }
        assert!(wrong.is_empty(), "regions answer wrongly:\n{wrong:#?}");
        eprintln!(
            "  converged: {} shared profiles, {} members in all",
            shared.len(),
            view.homes.values().map(BTreeMap::len).sum::<usize>()
        );
    }
}
