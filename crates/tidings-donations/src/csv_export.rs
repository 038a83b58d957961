//! Gifts as CSV for the accountant: the admin's download and `tidings donations export`.

use tidings_content::escape_cell;
use tidings_store::Donation;

use crate::Currency;

/// The header and one line per gift: amounts as decimals of their currency, times in RFC 3339,
/// text cells escaped so that a spreadsheet never runs them as formulas.
pub fn donations_csv(rows: &[Donation]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "created_at",
        "completed_at",
        "status",
        "frequency",
        "currency",
        "amount",
        "fee_covered",
        "total",
        "refunded",
        "first_name",
        "last_name",
        "email",
        "anonymous",
        "dedication",
        "source",
        "gateway",
        "gateway_payment",
        "disputed",
    ])?;
    for d in rows {
        let c = Currency::parse(&d.currency);
        let decimal = |minor: i64| match c {
            Some(c) if c.exponent() > 0 => format!(
                "{}.{:0w$}",
                minor / c.scale(),
                minor % c.scale(),
                w = c.exponent() as usize
            ),
            _ => minor.to_string(),
        };
        w.write_record([
            d.id.to_string(),
            d.created_at.to_rfc3339(),
            d.completed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            d.status.to_string(),
            d.frequency.to_string(),
            d.currency.clone(),
            decimal(d.amount),
            decimal(d.fee),
            decimal(d.total),
            decimal(d.refunded_amount),
            escape_cell(&d.first_name),
            escape_cell(&d.last_name),
            escape_cell(&d.email),
            d.anonymous.to_string(),
            escape_cell(&d.dedication),
            escape_cell(&d.source),
            d.gateway.to_string(),
            escape_cell(&d.gateway_payment),
            d.disputed.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
