//! What happens after a payment, designed for failure: the buyer waits only for the payment; the steps below are
//! jobs started in the transaction that marks the order paid (so none is lost), each idempotent, each retried with
//! backoff until done or dead-lettered (`crate::jobs`). A step's effect is written in the transaction that finishes
//! it (mail, history) or is a file replaced atomically (exports), so a crash at any moment repeats no e-mail and
//! leaves no half-written export.

use std::path::Path;

use caravan::format::format_price;
use serde::{Deserialize, Serialize};

use crate::store::{Effect, JobStart, NewMail, OrderLine, OrderRecord, PaymentProvider, Store, StoreError};

/// The job kind of every step.
pub const ORDER_STEP: &str = "order_step";

/// The steps after payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The buyer's confirmation e-mail (when they gave an address).
    ConfirmationEmail,
    /// The order in the buyer's history.
    OrderHistory,
    /// The shipping export: one JSON file per order for the warehouse.
    FulfilmentExport,
    /// The accounting export: one CSV file per order, a row per line with its tax.
    AccountingExport,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::ConfirmationEmail,
        Step::OrderHistory,
        Step::FulfilmentExport,
        Step::AccountingExport,
    ];

    fn name(self) -> &'static str {
        match self {
            Step::ConfirmationEmail => "confirmation_email",
            Step::OrderHistory => "order_history",
            Step::FulfilmentExport => "fulfilment_export",
            Step::AccountingExport => "accounting_export",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    order_id: String,
    step: Step,
}

/// The jobs of a paid order, to start with its move to paid.
pub fn jobs_for(order_id: &str) -> Vec<JobStart> {
    Step::ALL
        .iter()
        .map(|&step| {
            let payload = serde_json::to_string(&Payload {
                order_id: order_id.to_string(),
                step,
            })
            .unwrap_or_default();
            (ORDER_STEP.to_string(), step_key(order_id, step), payload)
        })
        .collect()
}

/// The job key of a step of an order.
pub fn step_key(order_id: &str, step: Step) -> String {
    format!("{ORDER_STEP}:{order_id}:{}", step.name())
}

/// What running the steps needs (lent by the job worker).
#[derive(Debug, Clone, Copy)]
pub struct Pipeline<'a> {
    pub store: &'a Store,
    /// `fulfilment/` and `accounting/` are written under it.
    pub exports_dir: &'a Path,
    pub site_url: &'a str,
}

impl Pipeline<'_> {
    /// Runs one step; its effect for the job's transaction.
    pub async fn run(&self, payload: &str, mail_state: crate::store::MailState) -> Result<Option<Effect>, String> {
        let payload: Payload = serde_json::from_str(payload).map_err(|e| format!("payload: {e}"))?;
        let store_error = |e: StoreError| e.to_string();
        let order = self
            .store
            .order(&payload.order_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| format!("no order {}", payload.order_id))?;
        let lines = self.store.order_lines(&order.id).await.map_err(store_error)?;
        match payload.step {
            Step::ConfirmationEmail => Ok(order.email.clone().map(|recipient| {
                Effect::Mail(NewMail {
                    recipient,
                    subject: format!("Your Caravan order {}", order.id),
                    body: confirmation(&order, &lines, self.site_url),
                    state: mail_state,
                })
            })),
            Step::OrderHistory => Ok(Some(Effect::OrderHistory {
                order_id: order.id.clone(),
                viewer_id: order.viewer_id.clone(),
                summary: summary(&order, &lines),
            })),
            Step::FulfilmentExport => {
                let shipment = serde_json::json!({
                    "orderId": order.id,
                    "eventId": order.event_id,
                    "email": order.email,
                    // Who took the payment, and whether it was a test (the local provider moves no money): a
                    // warehouse must not ship a test order.
                    "provider": order.provider.as_str(),
                    "testMode": order.provider == PaymentProvider::Local,
                    "lines": lines.iter().map(|l| serde_json::json!({
                        "productId": l.product_id, "title": l.title, "quantity": l.quantity,
                    })).collect::<Vec<_>>(),
                });
                let body = serde_json::to_vec_pretty(&shipment).map_err(|e| e.to_string())?;
                let path = self.exports_dir.join("fulfilment").join(format!("{}.json", order.id));
                replace_file(&path, &body)
                    .await
                    .map_err(|e| format!("fulfilment export: {e}"))?;
                Ok(None)
            }
            Step::AccountingExport => {
                let mut csv = String::from(
                    "order_id,product_id,quantity,unit_price,amount,tax_rate_bp,currency,provider,test_mode\n",
                );
                let test_mode = order.provider == PaymentProvider::Local;
                for line in &lines {
                    csv.push_str(&format!(
                        "{},{},{},{},{},{},{},{},{test_mode}\n",
                        order.id,
                        line.product_id,
                        line.quantity,
                        line.unit_price,
                        line.unit_price * line.quantity,
                        line.tax_rate_bp,
                        order.currency,
                        order.provider.as_str(),
                    ));
                }
                let path = self.exports_dir.join("accounting").join(format!("{}.csv", order.id));
                replace_file(&path, csv.as_bytes())
                    .await
                    .map_err(|e| format!("accounting export: {e}"))?;
                Ok(None)
            }
        }
    }
}

/// Writes `path` whole or not at all: a temporary file beside it, synced, then renamed over it.
async fn replace_file(path: &Path, body: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let partial = path.with_extension("partial");
    let mut file = tokio::fs::File::create(&partial).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, body).await?;
    file.sync_all().await?;
    tokio::fs::rename(&partial, path).await
}

fn summary(order: &OrderRecord, lines: &[OrderLine]) -> String {
    let items: Vec<String> = lines.iter().map(|l| format!("{} × {}", l.title, l.quantity)).collect();
    format!("{} ({})", items.join(", "), format_price(order.total, &order.currency))
}

fn confirmation(order: &OrderRecord, lines: &[OrderLine], site_url: &str) -> String {
    let mut body = format!("Thank you for your order {}.\n\n", order.id);
    for line in lines {
        body.push_str(&format!(
            "  {} × {}  {}\n",
            line.title,
            line.quantity,
            format_price(line.unit_price * line.quantity, &order.currency)
        ));
    }
    body.push_str(&format!(
        "\nTotal {} (tax included: {})\n\nYour orders: {}/\n\n— Caravan\n",
        format_price(order.total, &order.currency),
        format_price(order.tax, &order.currency),
        site_url.trim_end_matches('/')
    ));
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_its_own_job() {
        let jobs = jobs_for("ord_1");
        assert_eq!(jobs.len(), 4);
        assert!(jobs.iter().all(|(kind, _, _)| kind == ORDER_STEP));
        assert_eq!(jobs[0].1, "order_step:ord_1:confirmation_email");
        assert_eq!(jobs[3].1, "order_step:ord_1:accounting_export");
    }
}
