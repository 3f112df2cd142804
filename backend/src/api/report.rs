//! A show's report for its staff: `GET /api/shows/{show}/report` (JSON) and `…/report.csv` (the
//! same figures for a spreadsheet: UTF-8 with a byte-order mark, so Excel reads the Chinese).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mulin_shared::report::{Figures, ShowReport};
use mulin_shared::{ErrorCode, ShowId, format_yuan};

use super::bearer::{Signed, show_in_path, show_scope};
use super::dates::iso_minute;
use super::{ApiError, AppState};
use crate::auth::permissions::Action;
use crate::now_ms;

/// The report of the show in the path, if the sender may see it.
async fn report(state: &AppState, who: &Signed, show: &str) -> Result<ShowReport, ApiError> {
    let show_id: ShowId = show_in_path(show)?;
    let failed = |e: crate::store::StoreError| {
        ApiError::store(
            &e,
            "show report",
            "the server could not read the report; please retry",
        )
    };
    let scope = show_scope(state, show_id).await.map_err(failed)?;
    if !who.0.may(Action::SeeReport, scope) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only the community's managers, hosts, moderators and grid workers see its reports",
        ));
    }
    let mut report = state
        .store
        .show_report(scope.community, show_id, now_ms())
        .await
        .map_err(failed)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownShow,
                "no such show",
            )
        })?;
    // The open room knows its peak now; the store learns it every few seconds.
    if let Some(peak) = state.live.peak_viewers(show_id).await {
        let peak = i64::try_from(peak).unwrap_or(i64::MAX);
        report.totals.peak_viewers = report.totals.peak_viewers.max(peak);
    }
    Ok(report)
}

/// `GET /api/shows/{show}/report`.
pub(super) async fn json(
    State(state): State<AppState>,
    Path(show): Path<String>,
    who: Signed,
) -> Result<Json<ShowReport>, ApiError> {
    Ok(Json(report(&state, &who, &show).await?))
}

/// `GET /api/shows/{show}/report.csv` (any other file name under a show is `404 not_found`).
pub(super) async fn csv(
    State(state): State<AppState>,
    Path((show, file)): Path<(String, String)>,
    who: Signed,
) -> Result<Response, ApiError> {
    if file != "report.csv" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such API route",
        ));
    }
    let report = report(&state, &who, &show).await?;
    let body = to_csv(&report).map_err(|e| {
        tracing::error!(error = %e, "report CSV");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the CSV could not be made",
        )
    })?;
    let file = format!(
        "attachment; filename=\"show-{}-report.csv\"",
        report.show.id
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        body,
    )
        .into_response())
}

/// The report as CSV: one table, a `section` column saying what each line is.
pub fn to_csv(r: &ShowReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    out.write_record([
        "section",
        "id",
        "name",
        "orders",
        "units",
        "sales_yuan",
        "buyers",
        "cancelled",
        "peak_viewers",
        "peak_orders_per_minute",
    ])?;
    let figures = |f: &Figures| {
        [
            f.orders.to_string(),
            f.units.to_string(),
            format_yuan(f.sales),
            f.buyers.to_string(),
            f.cancelled.to_string(),
        ]
    };
    let mut row = |section: &str, id: String, name: &str, f: [String; 5], peaks: [String; 2]| {
        let [orders, units, sales, buyers, cancelled] = f;
        let [viewers, per_minute] = peaks;
        out.write_record([
            section,
            &id,
            name,
            &orders,
            &units,
            &sales,
            &buyers,
            &cancelled,
            &viewers,
            &per_minute,
        ])
    };
    let none = || [String::new(), String::new()];
    row(
        "total",
        r.show.id.to_string(),
        &r.show.title,
        figures(&r.totals.figures),
        [
            r.totals.peak_viewers.to_string(),
            r.totals.peak_orders_per_minute.to_string(),
        ],
    )?;
    for d in &r.deals {
        row(
            "deal",
            d.deal.to_string(),
            &d.name,
            figures(&d.figures),
            none(),
        )?;
    }
    for p in &r.products {
        row(
            "product",
            p.id.to_string(),
            &p.name,
            figures(&p.figures),
            none(),
        )?;
    }
    for p in &r.pickups {
        row(
            "pickup",
            p.id.to_string(),
            &p.name,
            figures(&p.figures),
            none(),
        )?;
    }
    for m in &r.minutes {
        let placed = [
            m.orders.to_string(),
            m.units.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        row("minute", iso_minute(m.at), "", placed, none())?;
    }
    for b in &r.bags {
        for (rank, w) in b.winners.iter().enumerate() {
            let name = format!("{} · {}", b.prize, w);
            let empty = || {
                [
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]
            };
            row(
                "bag_winner",
                format!("{}#{}", b.bag, rank + 1),
                &name,
                empty(),
                none(),
            )?;
        }
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}
