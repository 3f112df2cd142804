//! A picking list as files: four tables (totals per product, each store's products, each store's
//! residents, differences from the frozen list). XLSX gives each its own sheet; CSV puts them in
//! one table with a first column saying which each line belongs to, so it sorts and filters in any
//! spreadsheet. Headings are Chinese unless English is asked for.

use mulin_shared::pickup::PickingList;
use mulin_shared::{OrderStatus, ProductId, UtcMillis};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Comma-separated, UTF-8 with a byte-order mark (so Excel reads the Chinese right).
    Csv,
    /// An Excel workbook.
    Xlsx,
}

/// One cell.
enum Cell {
    Text(String),
    Num(i64),
}

/// One table: its name, headings and rows.
struct Table {
    name: &'static str,
    headings: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

/// The words of the files, in one language.
struct Words {
    totals: &'static str,
    stores: &'static str,
    residents: &'static str,
    differences: &'static str,
    section: &'static str,
    store: &'static str,
    address: &'static str,
    product: &'static str,
    pack: &'static str,
    units: &'static str,
    orders: &'static str,
    handed: &'static str,
    received: &'static str,
    frozen: &'static str,
    resident: &'static str,
    phone: &'static str,
    code: &'static str,
    status: &'static str,
    by_staff: &'static str,
    yes: &'static str,
    store_now: &'static str,
    units_now: &'static str,
}

const ZH: Words = Words {
    totals: "汇总",
    stores: "各自提点",
    residents: "居民明细",
    differences: "截单后变化",
    section: "类别",
    store: "自提点",
    address: "地址",
    product: "商品",
    pack: "规格",
    units: "件数",
    orders: "订单数",
    handed: "已交付",
    received: "到货时间",
    frozen: "截单时件数",
    resident: "居民",
    phone: "电话",
    code: "取货码",
    status: "状态",
    by_staff: "代下单",
    yes: "是",
    store_now: "现自提点",
    units_now: "现件数",
};

const EN: Words = Words {
    totals: "Totals",
    stores: "Stores",
    residents: "Residents",
    differences: "Changed after cut-off",
    section: "Section",
    store: "Pickup point",
    address: "Address",
    product: "Product",
    pack: "Pack",
    units: "Units",
    orders: "Orders",
    handed: "Handed over",
    received: "Received at",
    frozen: "Units at cut-off",
    resident: "Resident",
    phone: "Phone",
    code: "Code",
    status: "Status",
    by_staff: "Placed by staff",
    yes: "yes",
    store_now: "Pickup point now",
    units_now: "Units now",
};

fn status_words(status: OrderStatus, english: bool) -> &'static str {
    match (status, english) {
        (OrderStatus::Accepted, false) => "待到货",
        (OrderStatus::Ready, false) => "待取货",
        (OrderStatus::PickedUp, false) => "已取货",
        (OrderStatus::NotCollected, false) => "逾期未取",
        (OrderStatus::Cancelled, false) => "已取消",
        (OrderStatus::Accepted, true) => "awaiting goods",
        (OrderStatus::Ready, true) => "ready",
        (OrderStatus::PickedUp, true) => "picked up",
        (OrderStatus::NotCollected, true) => "not collected",
        (OrderStatus::Cancelled, true) => "cancelled",
    }
}

/// A moment as `2026-12-05 14:30` in China's time (UTC+8, no daylight saving), where the stores are.
fn china_time(at: UtcMillis) -> String {
    let secs = at.div_euclid(1000) + 8 * 3600;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The list's four tables.
fn tables(list: &PickingList, english: bool) -> Vec<Table> {
    let w = if english { &EN } else { &ZH };
    let product = |id: ProductId| {
        list.product(id)
            .map(|p| (p.name.clone(), p.unit.clone()))
            .unwrap_or_else(|| (format!("#{id}"), String::new()))
    };
    let store = |id| list.point_name(id);
    let frozen = |n: Option<i64>| n.map_or(Cell::Text(String::new()), Cell::Num);
    let totals = Table {
        name: w.totals,
        headings: vec![w.product, w.pack, w.units, w.orders, w.handed, w.frozen],
        rows: list
            .totals
            .iter()
            .map(|t| {
                let (name, unit) = product(t.product);
                vec![
                    Cell::Text(name),
                    Cell::Text(unit),
                    Cell::Num(t.units),
                    Cell::Num(t.orders),
                    Cell::Num(t.handed),
                    frozen(t.frozen_units),
                ]
            })
            .collect(),
    };
    let stores = Table {
        name: w.stores,
        headings: vec![
            w.store, w.address, w.product, w.pack, w.units, w.orders, w.handed, w.received,
            w.frozen,
        ],
        rows: list
            .points
            .iter()
            .flat_map(|p| {
                p.products.iter().map(move |line| {
                    let (name, unit) = product(line.product);
                    vec![
                        Cell::Text(p.name.clone()),
                        Cell::Text(p.address.clone()),
                        Cell::Text(name),
                        Cell::Text(unit),
                        Cell::Num(line.units),
                        Cell::Num(line.orders),
                        Cell::Num(line.handed),
                        Cell::Text(line.received_at.map(china_time).unwrap_or_default()),
                        frozen(line.frozen_units),
                    ]
                })
            })
            .collect(),
    };
    let residents = Table {
        name: w.residents,
        headings: vec![
            w.store, w.resident, w.phone, w.code, w.product, w.pack, w.units, w.handed, w.status,
            w.by_staff,
        ],
        rows: list
            .points
            .iter()
            .flat_map(|p| {
                p.residents.iter().flat_map(move |r| {
                    r.items.iter().map(move |item| {
                        let (name, unit) = product(item.product);
                        vec![
                            Cell::Text(p.name.clone()),
                            Cell::Text(r.name.clone()),
                            Cell::Text(r.phone.clone()),
                            Cell::Text(item.code.clone()),
                            Cell::Text(name),
                            Cell::Text(unit),
                            Cell::Num(item.qty),
                            Cell::Num(item.handed),
                            Cell::Text(status_words(item.status, english).to_owned()),
                            Cell::Text(if item.by_staff { w.yes } else { "" }.to_owned()),
                        ]
                    })
                })
            })
            .collect(),
    };
    let differences = Table {
        name: w.differences,
        headings: vec![
            w.code,
            w.resident,
            w.product,
            w.store,
            w.frozen,
            w.store_now,
            w.units_now,
        ],
        rows: list
            .differences
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(d.code.clone()),
                    Cell::Text(d.name.clone()),
                    Cell::Text(product(d.product).0),
                    Cell::Text(store(d.pickup)),
                    Cell::Num(d.frozen_qty),
                    Cell::Text(store(d.pickup_now)),
                    Cell::Num(d.qty_now),
                ]
            })
            .collect(),
    };
    vec![totals, stores, residents, differences]
}

/// The list as CSV: every table's lines, each starting with the table's name.
pub(super) fn csv(list: &PickingList, english: bool) -> Result<Vec<u8>, csv::Error> {
    let w = if english { &EN } else { &ZH };
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::from("\u{feff}".as_bytes()));
    for table in tables(list, english) {
        let mut head = vec![w.section];
        head.extend(&table.headings);
        out.write_record(&head)?;
        for row in &table.rows {
            let mut line = vec![table.name.to_owned()];
            line.extend(row.iter().map(|c| match c {
                Cell::Text(t) => t.clone(),
                Cell::Num(n) => n.to_string(),
            }));
            out.write_record(&line)?;
        }
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// The list as an Excel workbook, a sheet per table, headings bold and frozen.
pub(super) fn xlsx(list: &PickingList, english: bool) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for table in tables(list, english) {
        let sheet = book.add_worksheet();
        sheet.set_name(table.name)?;
        for (col, heading) in (0u16..).zip(&table.headings) {
            sheet.write_string_with_format(0, col, *heading, &bold)?;
            sheet.set_column_width(col, if col == 0 { 22 } else { 14 })?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (row, cells) in (1u32..).zip(&table.rows) {
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        sheet.write_string(row, col, t)?;
                    }
                    Cell::Num(n) => {
                        // Units and counts: far below 2^53, exact as f64.
                        sheet.write_number(row, col, *n as f64)?;
                    }
                }
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::china_time;

    #[test]
    fn times_are_read_in_china() {
        // 2026-12-05 06:30 UTC is 14:30 in Beijing.
        assert_eq!(china_time(1_796_452_200_000), "2026-12-05 14:30");
        assert_eq!(china_time(0), "1970-01-01 08:00");
    }
}
