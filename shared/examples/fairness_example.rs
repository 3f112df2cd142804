//! Prints the worked example of docs/FAIRNESS.md: `cargo run -p mulin-shared --example fairness_example`.

use mulin_shared::lucky_bag::{SEED_LEN, canonical_entries, commitment, draw, entries_hash};

fn main() {
    let mut seed = [0u8; SEED_LEN];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = i as u8;
    }
    let entries = [1042, 7, 318, 2024, 56];
    println!("seed = {}", hex::encode(seed));
    println!("commitment = {}", commitment(&seed));
    println!("canonical entries = {:?}", canonical_entries(&entries));
    println!("entries hash = {}", entries_hash(&entries));
    println!("winners = {:?}", draw(&seed, &entries, 2));
}
