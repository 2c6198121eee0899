//! Whether a viewer may watch an event now, and until when: the rules of the four kinds of access.

use chrono::{DateTime, Duration, Utc};

use crate::store::{Access, EntitlementRecord, EventRecord};

/// How long a rental lasts from its purchase.
pub const RENTAL: Duration = Duration::hours(48);

/// Why a viewer may not watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The event's terms must be accepted first.
    TermsRequired,
    /// No ticket, rental or grant for this event.
    NotEntitled,
    /// The rental (or a time-limited grant) has ended.
    Expired,
    /// The show is for members of a plan the viewer's login does not carry.
    PlanRequired,
}

impl Denial {
    /// The `reason` of the refusal.
    pub fn reason(self) -> caravan::api::refusal::Denial {
        use caravan::api::refusal::Denial as Reason;
        match self {
            Denial::TermsRequired => Reason::Terms,
            Denial::NotEntitled => Reason::Entitlement,
            Denial::Expired => Reason::Expired,
            Denial::PlanRequired => Reason::Plan,
        }
    }

    /// The refusal's body (`not_entitled`, with its reason).
    pub fn refusal(self) -> caravan::api::Refusal {
        let mut refusal = caravan::api::Refusal::new(caravan::api::RefusalCode::NotEntitled, self.message());
        refusal.reason = Some(self.reason());
        refusal
    }

    /// What the viewer is told.
    pub fn message(self) -> &'static str {
        match self {
            Denial::TermsRequired => "Accept the terms of this show to watch it.",
            Denial::NotEntitled => "This show needs a ticket.",
            Denial::Expired => "Your access to this show has ended.",
            Denial::PlanRequired => "This show is for members. Sign in with a membership that includes it.",
        }
    }
}

/// May watch; `until` is when the entitlement ends (`None`: not before the event does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub until: Option<DateTime<Utc>>,
}

/// Whether the viewer may watch: the terms first when the event asks for them; then free events open, plan events
/// open to a login whose plans include the event's (any plan when it names none), and everything else (and plan
/// events without the plan) needs an entitlement that has not ended.
pub fn decide(
    event: &EventRecord,
    entitlement: Option<&EntitlementRecord>,
    terms_accepted: bool,
    plans: &[String],
    now: DateTime<Utc>,
) -> Result<Allowed, Denial> {
    if event.terms_required && !terms_accepted {
        return Err(Denial::TermsRequired);
    }
    if event.access == Access::Free {
        return Ok(Allowed { until: None });
    }
    if event.access == Access::Plan {
        let member = match &event.plan {
            Some(plan) => plans.contains(plan),
            None => !plans.is_empty(),
        };
        if member {
            return Ok(Allowed { until: None });
        }
        if entitlement.is_none() {
            return Err(Denial::PlanRequired);
        }
    }
    let entitlement = entitlement.ok_or(Denial::NotEntitled)?;
    match entitlement.expires_at {
        Some(end) if end <= now => Err(Denial::Expired),
        until => Ok(Allowed { until }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EntitlementKind;

    fn event(access: Access, terms_required: bool) -> EventRecord {
        EventRecord {
            access,
            terms_required,
            ..EventRecord::new("e", "e", "E", Utc::now())
        }
    }

    fn entitlement(
        kind: EntitlementKind,
        granted_at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> EntitlementRecord {
        EntitlementRecord {
            viewer_id: "v".into(),
            event_id: "e".into(),
            kind,
            granted_at,
            expires_at,
        }
    }

    #[test]
    fn free_shows_ask_only_for_their_terms() {
        let now = Utc::now();
        assert_eq!(
            decide(&event(Access::Free, false), None, false, &[], now),
            Ok(Allowed { until: None })
        );
        assert_eq!(
            decide(&event(Access::Free, true), None, false, &[], now),
            Err(Denial::TermsRequired)
        );
        assert_eq!(
            decide(&event(Access::Free, true), None, true, &[], now),
            Ok(Allowed { until: None })
        );
    }

    #[test]
    fn tickets_open_ticketed_shows_and_terms_come_first() {
        let now = Utc::now();
        let ticket = entitlement(EntitlementKind::Ticket, now, None);
        let show = event(Access::Ticketed, true);
        assert_eq!(decide(&show, None, true, &[], now), Err(Denial::NotEntitled));
        assert_eq!(
            decide(&show, Some(&ticket), false, &[], now),
            Err(Denial::TermsRequired)
        );
        assert_eq!(
            decide(&show, Some(&ticket), true, &[], now),
            Ok(Allowed { until: None })
        );
    }

    #[test]
    fn plan_shows_open_to_members_of_their_plan_and_to_grants() {
        let now = Utc::now();
        let mut show = event(Access::Plan, false);
        let gold = ["gold".to_string()];
        assert_eq!(decide(&show, None, false, &[], now), Err(Denial::PlanRequired));
        assert_eq!(
            decide(&show, None, false, &gold, now),
            Ok(Allowed { until: None }),
            "any plan"
        );
        show.plan = Some("platinum".into());
        assert_eq!(decide(&show, None, false, &gold, now), Err(Denial::PlanRequired));
        let platinum = ["gold".to_string(), "platinum".to_string()];
        assert_eq!(decide(&show, None, false, &platinum, now), Ok(Allowed { until: None }));
        let grant = entitlement(EntitlementKind::Grant, now, None);
        assert_eq!(
            decide(&show, Some(&grant), false, &gold, now),
            Ok(Allowed { until: None }),
            "the operator's grant opens it too"
        );
        assert_eq!(
            decide(&event(Access::Ticketed, false), None, false, &gold, now),
            Err(Denial::NotEntitled)
        );
    }

    #[test]
    fn a_rental_ends_48_hours_after_its_purchase() {
        let bought = Utc::now();
        let rental = entitlement(EntitlementKind::Rental, bought, Some(bought + RENTAL));
        let show = event(Access::Rental, false);
        let end = bought + RENTAL;
        assert_eq!(
            decide(&show, Some(&rental), false, &[], bought),
            Ok(Allowed { until: Some(end) })
        );
        assert_eq!(
            decide(&show, Some(&rental), false, &[], end - Duration::seconds(1)),
            Ok(Allowed { until: Some(end) })
        );
        assert_eq!(decide(&show, Some(&rental), false, &[], end), Err(Denial::Expired));
    }
}
