//! `/c/{community}`: the residents' community page, made on the server as plain HTML (nothing to
//! download but the page, for any phone): the show on air now, the shows coming up with their start
//! and the deals already scheduled in them (so residents know when to come back), past shows, and
//! where to pick up. Chinese, or English with `?lang=en` (or a browser that asks for English).

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Html;
use mulin_shared::community::ShowSummary;
use mulin_shared::{CommunityId, ErrorCode, ShowStatus, escape_html, format_yuan};

use super::dates::{BEIJING_MS, civil};
use super::{ApiError, AppState};

const PAGE: &str = include_str!("community.html");
/// Past shows listed.
const PAST: usize = 10;

/// The two languages of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The Chinese text or the English one.
    fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// `?lang=`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Asked {
    lang: Option<String>,
}

/// "12月5日 周六 10:00" or "Sat 5 Dec 10:00", Beijing time.
fn when(ms: i64, lang: Lang) -> String {
    let c = civil(ms, BEIJING_MS);
    let wd = c.weekday as usize % 7;
    match lang {
        Lang::Zh => {
            const DAYS: [&str; 7] = ["日", "一", "二", "三", "四", "五", "六"];
            format!(
                "{}月{}日 周{} {:02}:{:02}",
                c.month, c.day, DAYS[wd], c.hour, c.minute
            )
        }
        Lang::En => {
            const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let m = MONTHS[(c.month as usize + 11) % 12];
            format!("{} {} {m} {:02}:{:02}", DAYS[wd], c.day, c.hour, c.minute)
        }
    }
}

/// The page of `community`; an id that is not a community's is a JSON 404.
pub(super) async fn page(
    Path(community): Path<String>,
    Query(asked): Query<Asked>,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Result<Html<String>, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownCommunity,
            format!("no community {community:?}"),
        )
    };
    let id: CommunityId = community.parse().map_err(|_| unknown())?;
    let lang = match asked.lang.as_deref() {
        Some(l) if l.starts_with("en") => Lang::En,
        Some(_) => Lang::Zh,
        None => {
            let accepts = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if accepts.trim_start().starts_with("en") {
                Lang::En
            } else {
                Lang::Zh
            }
        }
    };
    let failed = |e: crate::store::StoreError| {
        ApiError::store(
            &e,
            "community page",
            "the page could not be made; please retry",
        )
    };
    let store = &state.store;
    let found = store
        .community(id)
        .await
        .map_err(failed)?
        .ok_or_else(unknown)?;
    let shows = store.shows_of(id).await.map_err(failed)?;
    let pickups = store.pickup_points_of(id).await.map_err(failed)?;
    let now = crate::now_ms();

    let mut body = String::new();
    // On air now.
    let live: Vec<&ShowSummary> = shows
        .iter()
        .filter(|s| s.status == ShowStatus::Live)
        .collect();
    let _ = write!(
        body,
        "<section id=\"on-air\"><h2>{}</h2>",
        lang.t("正在直播", "On air now")
    );
    if live.is_empty() {
        let _ = write!(
            body,
            "<p class=\"none\">{}</p>",
            lang.t("现在没有直播。", "Nothing on air right now.")
        );
    } else {
        body.push_str("<ul>");
        for s in live {
            let _ = write!(
                body,
                "<li data-show=\"{id}\"><div class=\"title\"><span class=\"live\">{on}</span>{title}</div>\
                 <a class=\"go\" href=\"/show/{id}\">{buy}</a>",
                id = s.id,
                on = lang.t("直播中", "LIVE"),
                title = escape_html(&s.title),
                buy = lang.t("进入直播间下单", "Open the show and buy"),
            );
            if !s.stream_url.is_empty() {
                let _ = write!(
                    body,
                    "<a class=\"go quiet\" href=\"/demo/{}\">{}</a>",
                    s.id,
                    lang.t("边看直播边买", "Watch the stream and buy")
                );
            }
            body.push_str("</li>");
        }
        body.push_str("</ul>");
    }
    body.push_str("</section>");

    // Coming up, soonest first, with the deals already scheduled in them.
    let mut coming: Vec<&ShowSummary> = shows
        .iter()
        .filter(|s| s.status == ShowStatus::Scheduled)
        .collect();
    coming.sort_by_key(|s| s.starts_at);
    let mut products: Option<Vec<mulin_shared::Product>> = None;
    let _ = write!(
        body,
        "<section id=\"coming\"><h2>{}</h2>",
        lang.t("即将开播", "Coming up")
    );
    if coming.is_empty() {
        let _ = write!(
            body,
            "<p class=\"none\">{}</p>",
            lang.t("还没有安排新的直播。", "No show is scheduled yet.")
        );
    } else {
        body.push_str("<ul>");
        for s in coming {
            let _ = write!(
                body,
                "<li data-show=\"{}\"><div class=\"title\">{}</div><div class=\"when\">{} {}</div>",
                s.id,
                escape_html(&s.title),
                escape_html(&when(s.starts_at, lang)),
                lang.t("开播", "start"),
            );
            let deals = store.deals(s.id).await.map_err(failed)?;
            // The catalogue is the community's, the same for every show: read once.
            if products.is_none() {
                products = Some(store.products_of(id).await.map_err(failed)?);
            }
            let catalogue = products.as_deref().unwrap_or_default();
            let mut upcoming: Vec<_> = deals.iter().filter(|d| d.ends_at > now).collect();
            upcoming.sort_by_key(|d| d.starts_at);
            if !upcoming.is_empty() {
                body.push_str("<ul class=\"deals\">");
                for d in upcoming {
                    let name = catalogue
                        .iter()
                        .find(|p| p.id == d.product)
                        .map(|p| p.name.as_str())
                        .unwrap_or("");
                    let _ = write!(
                        body,
                        "<li>{} · ¥{} · {} {}</li>",
                        escape_html(name),
                        format_yuan(d.price),
                        escape_html(&when(d.starts_at.max(s.starts_at), lang)),
                        lang.t("开抢", "on sale"),
                    );
                }
                body.push_str("</ul>");
            }
            let _ = write!(
                body,
                "<a class=\"go quiet\" href=\"/show/{}\">{}</a></li>",
                s.id,
                lang.t("先去看看", "Have a look")
            );
        }
        body.push_str("</ul>");
    }
    body.push_str("</section>");

    // Past shows, the latest first.
    let past: Vec<&ShowSummary> = shows
        .iter()
        .filter(|s| !s.status.is_open())
        .take(PAST)
        .collect();
    if !past.is_empty() {
        let _ = write!(
            body,
            "<section id=\"past\"><h2>{}</h2><ul>",
            lang.t("往期直播", "Past shows")
        );
        for s in past {
            let state = match s.status {
                ShowStatus::Cancelled => lang.t("已取消", "called off"),
                _ => lang.t("已结束", "ended"),
            };
            let _ = write!(
                body,
                "<li data-show=\"{}\"><div class=\"title\">{}</div><div class=\"when\">{} · {}</div>\
                 <a class=\"go quiet\" href=\"/show/{}\">{}</a></li>",
                s.id,
                escape_html(&s.title),
                escape_html(&when(s.starts_at, lang)),
                state,
                s.id,
                lang.t("我的订单和取货码", "My orders and pickup codes"),
            );
        }
        body.push_str("</ul></section>");
    }

    // Where to pick up.
    if !pickups.is_empty() {
        let _ = write!(
            body,
            "<section id=\"pickups\"><h2>{}</h2><ul class=\"pickups\">",
            lang.t("自提点", "Pickup points")
        );
        for p in &pickups {
            let _ = write!(
                body,
                "<li><div class=\"title\">{}</div><div class=\"when\">{}{}{}</div></li>",
                escape_html(&p.name),
                escape_html(&p.address),
                if p.hours.is_empty() { "" } else { " · " },
                escape_html(&p.hours),
            );
        }
        body.push_str("</ul></section>");
    }

    // How it works, for someone here for the first time (and whom to ask).
    let steps = [
        lang.t(
            "直播开始后，点「进入直播间下单」，选好件数和自提点，点「抢」。",
            "When a show is on, open it, choose how many and where to collect, and press Buy.",
        ),
        lang.t(
            "第一次买时用手机号登录。抢到了会给您一个取货码；以后打开本社区任何一场直播，\
             「我的订单」里都有您的订单和取货码。",
            "You sign in with your mobile number the first time. A successful order gets a pickup \
             code; any show of the community lists your orders and codes under \"My orders\".",
        ),
        lang.t(
            "到您选的自提点，把取货码给店员看，就能取货。",
            "Show the code at the pickup point you chose to collect your goods.",
        ),
        lang.t(
            "不方便用手机下单？请找您的网格员，他们可以帮您下单。",
            "Can't order on a phone? Your grid worker (网格员) can order for you.",
        ),
    ];
    let _ = write!(
        body,
        "<section id=\"how\"><h2>{}</h2><ol class=\"how\">",
        lang.t("怎么买、怎么取", "How to buy and collect")
    );
    for step in steps {
        let _ = write!(body, "<li>{step}</li>");
    }
    body.push_str("</ol></section>");

    let (code, switch, switch_lang, switch_href) = match lang {
        Lang::Zh => ("zh-CN", "English", "en", format!("/c/{id}?lang=en")),
        Lang::En => ("en", "中文", "zh-CN", format!("/c/{id}?lang=zh")),
    };
    Ok(Html(
        PAGE.replace("{{lang}}", code)
            .replace("{{title}}", &escape_html(&found.label()))
            .replace("{{switch}}", switch)
            .replace("{{switch_lang}}", switch_lang)
            .replace("{{switch_href}}", &switch_href)
            .replace("{{body}}", &body),
    ))
}
