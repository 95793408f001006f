//! The edits: chapter admins of every region registering, editing and deleting
//! members on their own node at the same time, from a seeded generator, and
//! remembering what each node acknowledged — every answer is checked against the
//! edits acknowledged before it.

use std::collections::BTreeMap;

use passage::credentials::SealedChannel;
use passage_proto::merge::{SHARED_FIELDS, copy_field};
use passage_proto::v1::{self, SharedProfile, member_service_client::MemberServiceClient};
use prost_types::FieldMask;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::processes::Federation;
use crate::{REGIONS, ms};

/// Chapter admins editing at the same time in each region.
const ADMINS_PER_REGION: usize = 2;
/// Members each admin registers before the trouble starts.
const MEMBERS_AT_START: usize = 3;
/// An admin registers no more members than this.
const MEMBERS_PER_ADMIN: usize = 10;

/// A small, seeded generator (xorshift64*).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        // splitmix64, so that nearby seeds give unrelated streams
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }

    fn some_of(&mut self, items: &[&str], most: usize) -> Vec<String> {
        let mut all: Vec<&str> = items.to_vec();
        self.shuffle(&mut all);
        let count = self.index(most + 1);
        all[..count].iter().map(|s| (*s).to_owned()).collect()
    }
}

const FIRST_NAMES: [&str; 12] = [
    "Amira",
    "Yusuf",
    "Olena",
    "Tesfaye",
    "Mariam",
    "Jean-Baptiste",
    "Farida",
    "Dmytro",
    "Rahel",
    "Omar",
    "Nadia",
    "Bashir",
];
const LAST_NAMES: [&str; 10] = [
    "Haddad",
    "Kovalenko",
    "Pierre",
    "Tesfamariam",
    "Rahimi",
    "Osman",
    "Nguyen",
    "Bakr",
    "Hakimi",
    "Petrenko",
];
const PROFESSIONS: [&str; 8] = [
    "civil engineer",
    "nurse",
    "electrician",
    "teacher",
    "software developer",
    "accountant",
    "chef",
    "pharmacist",
];
const SECTORS: [&str; 6] = [
    "construction",
    "healthcare",
    "education",
    "it-and-data",
    "hospitality",
    "logistics",
];
const SKILLS: [&str; 8] = [
    "AutoCAD",
    "wound care",
    "Python",
    "bookkeeping",
    "forklift licence",
    "first aid",
    "Dutch B1",
    "project planning",
];
const LANGUAGES: [&str; 8] = ["ar", "uk", "ti", "fa", "fr", "en", "nl", "es"];
/// The shared fields an admin edits, with `update_mask` paths `profile.<field>`.
const EDITABLE: [&str; 8] = [
    "display_name",
    "profession",
    "sectors",
    "skills",
    "languages",
    "education_level",
    "experience_years",
    "available_hours_per_week",
];

/// A value for one field, in a profile that holds nothing else.
fn random_value(rng: &mut Rng, field: &str, serial: u64) -> SharedProfile {
    let mut value = SharedProfile::default();
    match field {
        "display_name" => {
            value.display_name = format!(
                "{} {} #{serial}",
                rng.pick(&FIRST_NAMES),
                rng.pick(&LAST_NAMES)
            )
        }
        "profession" => value.profession = (*rng.pick(&PROFESSIONS)).to_owned(),
        "sectors" => value.sectors = rng.some_of(&SECTORS, 3),
        "skills" => value.skills = rng.some_of(&SKILLS, 4),
        "languages" => value.languages = rng.some_of(&LANGUAGES, 4),
        "education_level" => value.education_level = 1 + rng.below(7) as i32,
        "experience_years" => value.experience_years = rng.below(41) as i32,
        "available_hours_per_week" => value.available_hours_per_week = rng.below(81) as i32,
        "share_across_regions" => value.share_across_regions = rng.chance(50),
        other => panic!("no values for {other}"),
    }
    value
}

/// One field of a profile, alone.
fn field_of(profile: &SharedProfile, field: &str) -> SharedProfile {
    let mut only = SharedProfile::default();
    copy_field(profile, &mut only, field);
    only
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Live,
    /// The deletion was acknowledged.
    Deleted,
    /// A deletion was asked and the call failed: it may or may not have happened.
    MaybeDeleted,
}

/// A member as their chapter admin knows them from the node's answers.
#[derive(Debug)]
pub(crate) struct Tracked {
    pub(crate) id: String,
    /// The profile as the last acknowledged call returned it.
    known: SharedProfile,
    /// Per field, values sent since by calls that failed (each may have committed).
    unsettled: BTreeMap<&'static str, Vec<SharedProfile>>,
    pub(crate) fate: Fate,
}

impl Tracked {
    /// Whether `held` can be this member's profile: every field as acknowledged
    /// last, or as a failed call after it tried to set it.
    pub(crate) fn explains(&self, held: &SharedProfile) -> Result<(), String> {
        let mut wrong = Vec::new();
        for field in SHARED_FIELDS {
            let value = field_of(held, field);
            let possible = value == field_of(&self.known, field)
                || self
                    .unsettled
                    .get(field)
                    .is_some_and(|values| values.contains(&value));
            if !possible {
                wrong.push(format!(
                    "{field}: holds {value:?}, acknowledged {:?}, unsettled {:?}",
                    field_of(&self.known, field),
                    self.unsettled.get(field)
                ));
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!("member {}: {}", self.id, wrong.join("; ")))
        }
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    pub(crate) registered: u64,
    pub(crate) edited: u64,
    pub(crate) deleted: u64,
    pub(crate) failed: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, other: &Tally) {
        self.registered += other.registered;
        self.edited += other.edited;
        self.deleted += other.deleted;
        self.failed += other.failed;
    }
}

/// A chapter admin at one region's node: registers, edits and deletes that region's
/// members one call at a time, and remembers what the node acknowledged.
pub(crate) struct Admin {
    pub(crate) region: &'static str,
    client: MemberServiceClient<SealedChannel>,
    rng: Rng,
    serial: u64,
    pub(crate) members: Vec<Tracked>,
    pub(crate) tally: Tally,
    /// Answers that contradict what was acknowledged before.
    pub(crate) problems: Vec<String>,
}

impl Admin {
    fn live(&self) -> Vec<usize> {
        (0..self.members.len())
            .filter(|i| self.members[*i].fate == Fate::Live)
            .collect()
    }

    async fn register(&mut self) -> bool {
        let mut profile = SharedProfile {
            share_across_regions: !self.rng.chance(15),
            ..Default::default()
        };
        self.serial += 1;
        for field in EDITABLE {
            copy_field(
                &random_value(&mut self.rng, field, self.serial),
                &mut profile,
                field,
            );
        }
        let member = v1::Member {
            profile: Some(profile.clone()),
            regional: Some(v1::RegionalRecord {
                role: v1::MemberRole::Newcomer as i32,
                residence_status: v1::ResidenceStatus::StatusHolder as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        let answer = self
            .client
            .create_member(v1::CreateMemberRequest {
                member: Some(member),
            })
            .await;
        match answer {
            Ok(answer) => {
                let created = answer.into_inner();
                let held = created.profile.clone().unwrap_or_default();
                let expected = SharedProfile {
                    home_region: self.region.to_owned(),
                    ..profile
                };
                if held != expected {
                    self.problems.push(format!(
                        "{} registered {expected:?} and answered {held:?}",
                        self.region
                    ));
                }
                self.members.push(Tracked {
                    id: created.id,
                    known: held,
                    unsettled: BTreeMap::new(),
                    fate: Fate::Live,
                });
                self.tally.registered += 1;
                true
            }
            Err(_) => {
                // It may exist all the same: the final check reads every member the
                // home region holds, tracked or not.
                self.tally.failed += 1;
                false
            }
        }
    }

    async fn edit(&mut self) -> bool {
        let live = self.live();
        if live.is_empty() {
            return self.register().await;
        }
        let index = *self.rng.pick(&live);
        let mut fields: Vec<&'static str> = EDITABLE.to_vec();
        self.rng.shuffle(&mut fields);
        fields.truncate(1 + self.rng.index(3));
        if self.rng.chance(8) {
            fields.push("share_across_regions");
        }
        self.serial += 1;
        let mut wanted = SharedProfile::default();
        for field in &fields {
            let value = if *field == "share_across_regions" {
                SharedProfile {
                    share_across_regions: !self.members[index].known.share_across_regions,
                    ..Default::default()
                }
            } else {
                random_value(&mut self.rng, field, self.serial)
            };
            copy_field(&value, &mut wanted, field);
        }
        let request = v1::UpdateMemberRequest {
            member: Some(v1::Member {
                id: self.members[index].id.clone(),
                profile: Some(wanted.clone()),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: fields.iter().map(|f| format!("profile.{f}")).collect(),
            }),
        };
        let answer = self.client.update_member(request).await;
        let member = &mut self.members[index];
        match answer {
            Ok(answer) => {
                let held = answer.into_inner().profile.unwrap_or_default();
                for field in SHARED_FIELDS {
                    let value = field_of(&held, field);
                    let agrees = if fields.contains(&field) {
                        value == field_of(&wanted, field)
                    } else {
                        value == field_of(&member.known, field)
                            || member
                                .unsettled
                                .get(field)
                                .is_some_and(|values| values.contains(&value))
                    };
                    if !agrees {
                        self.problems.push(format!(
                            "{}: member {} answered {field} = {value:?} after an edit of {fields:?}; \
                             acknowledged before: {:?}, unsettled: {:?}",
                            self.region,
                            member.id,
                            field_of(&member.known, field),
                            member.unsettled.get(field)
                        ));
                    }
                }
                member.known = held;
                member.unsettled.clear();
                self.tally.edited += 1;
                true
            }
            Err(_) => {
                for field in &fields {
                    member
                        .unsettled
                        .entry(*field)
                        .or_default()
                        .push(field_of(&wanted, field));
                }
                self.tally.failed += 1;
                false
            }
        }
    }

    async fn erase(&mut self) -> bool {
        let live = self.live();
        if live.len() < 3 {
            return self.edit().await;
        }
        let index = *self.rng.pick(&live);
        let id = self.members[index].id.clone();
        match self
            .client
            .delete_member(v1::DeleteMemberRequest { id })
            .await
        {
            Ok(_) => {
                self.members[index].fate = Fate::Deleted;
                self.tally.deleted += 1;
                true
            }
            Err(_) => {
                // Not edited again: whether it is gone is settled at the end.
                self.members[index].fate = Fate::MaybeDeleted;
                self.tally.failed += 1;
                false
            }
        }
    }

    /// Works until told to stop: mostly edits, some registrations and deletions.
    async fn run(mut self, mut stop: watch::Receiver<bool>) -> Admin {
        while !*stop.borrow_and_update() {
            let roll = self.rng.below(100);
            let room = self.members.len() < MEMBERS_PER_ADMIN;
            let acknowledged = if roll < 5 && room {
                self.register().await
            } else if roll < 7 {
                self.erase().await
            } else {
                self.edit().await
            };
            // After a failure, wait a little as an admin would before trying again.
            let pause = if acknowledged {
                ms(30 + self.rng.below(60))
            } else {
                ms(150)
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = stop.changed() => {}
            }
        }
        self
    }
}

/// Every admin of every region at work.
pub(crate) struct Edits {
    stop: watch::Sender<bool>,
    admins: Vec<JoinHandle<Admin>>,
}

impl Edits {
    /// Registers the first members (before anything goes wrong), then sets every
    /// admin to work.
    pub(crate) async fn start(federation: &Federation, seed: u64) -> Edits {
        let (stop, stopped) = watch::channel(false);
        let mut admins = Vec::new();
        for (number, region) in REGIONS.into_iter().enumerate() {
            for desk in 0..ADMINS_PER_REGION {
                let mut admin = Admin {
                    region,
                    client: federation.member_client(region),
                    rng: Rng::new(seed.wrapping_add((number * ADMINS_PER_REGION + desk) as u64)),
                    serial: 0,
                    members: Vec::new(),
                    tally: Tally::default(),
                    problems: Vec::new(),
                };
                for _ in 0..MEMBERS_AT_START {
                    assert!(admin.register().await, "{region} registers a member");
                }
                admins.push(tokio::spawn(admin.run(stopped.clone())));
            }
        }
        Edits { stop, admins }
    }

    pub(crate) async fn stop(self) -> Vec<Admin> {
        self.stop.send_replace(true);
        let mut admins = Vec::new();
        for admin in self.admins {
            admins.push(admin.await.unwrap());
        }
        admins
    }
}
