//! Arbitrary APDU sequences into every shipped card: no panic, every answer carries a status
//! word, and the T=0 procedure never announces more than it holds.
//! Input: the first byte picks the profile; then each APDU is a length byte and that many
//! bytes; a length of 0 power-cycles the card.
#![no_main]

use std::sync::OnceLock;

use card::app::Card;
use card::perso::CardImage;
use card::state::CardState;
use libfuzzer_sys::fuzz_target;

fn images() -> &'static Vec<CardImage> {
    static IMAGES: OnceLock<Vec<CardImage>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let keys = card::keys::KeySet::test_keys().unwrap();
        card::profile::Profile::all_shipped()
            .unwrap()
            .iter()
            .map(|p| card::perso::personalise(p, &keys).unwrap())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let all = images();
    let image = all[usize::from(pick) % all.len()].clone();
    let state = CardState::new(&image.profile);
    let mut card = Card::new(image, state, Box::new(|out: &mut [u8]| out.fill(0x5A)));
    while let Some((&len, tail)) = rest.split_first() {
        if len == 0 {
            card.reset();
            rest = tail;
            continue;
        }
        let (apdu, tail) = tail.split_at(usize::from(len).min(tail.len()));
        rest = tail;
        let answer = card.transmit(apdu);
        assert!(answer.len() >= 2);
        assert!(answer.len() <= 258);
    }
});
