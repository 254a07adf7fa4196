//! The gazetteer (`places.yaml`): every city and country or region a case may name, with
//! the aliases the command line accepts.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::diag::{Diagnostics, FileText};
use super::names::{Named, did_you_mean, resolve};
use super::yaml::{self, YamlAt};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Country {
    /// Canonical Chinese name, as used in case files.
    pub name: String,
    pub en: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct City {
    pub name: String,
    /// Canonical name of its country or region.
    pub country: String,
    pub en: String,
    pub aliases: Vec<String>,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Places {
    pub countries: Vec<Country>,
    pub cities: Vec<City>,
}

/// Cities and countries resolve alike: by canonical name, English name or any alias.
macro_rules! named_place {
    ($($t:ty),*) => {$(
        impl Named for $t {
            fn canonical(&self) -> &str {
                &self.name
            }
            fn names(&self) -> Vec<&str> {
                let mut v = vec![self.name.as_str(), self.en.as_str()];
                v.extend(self.aliases.iter().map(String::as_str));
                v
            }
            fn label(&self) -> String {
                format!("\"{}\" ({})", self.name, self.en)
            }
        }
    )*};
}

named_place!(Country, City);

impl Places {
    pub fn city(&self, name: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.name == name)
    }
    pub fn country(&self, name: &str) -> Option<&Country> {
        self.countries.iter().find(|c| c.name == name)
    }
    /// A city by any of its names, case-insensitive.
    pub fn resolve_city(&self, input: &str) -> Option<&City> {
        resolve(&self.cities, input)
    }
    pub fn resolve_country(&self, input: &str) -> Option<&Country> {
        resolve(&self.countries, input)
    }
    /// Is `name` a canonical city or country name?
    pub fn is_place(&self, name: &str) -> bool {
        self.city(name).is_some() || self.country(name).is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaces {
    countries: Vec<RawCountry>,
    cities: Vec<RawCity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountry {
    name: Spanned<String>,
    en: String,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCity {
    name: Spanned<String>,
    country: Spanned<String>,
    en: String,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    lat: Spanned<f64>,
    lon: Spanned<f64>,
}

const TOP_KEYS: &[&str] = &["countries", "cities"];
const PLACE_KEYS: &[&str] = &["name", "country", "en", "aliases", "lat", "lon"];

/// Parses and checks `places.yaml`. Problems go to `diags`; what could be read is returned.
pub fn parse(file: &FileText<'_>, diags: &mut Diagnostics) -> Places {
    let at = YamlAt {
        file,
        first_line: 1,
    };
    let mut keys = TOP_KEYS.to_vec();
    keys.extend_from_slice(PLACE_KEYS);
    let Some(raw) = yaml::parse::<RawPlaces>(file.text, at, &keys, diags) else {
        return Places::default();
    };
    let mut places = Places::default();
    let mut seen_alias: Vec<(String, String, &'static str)> = Vec::new();
    let mut check_alias = |diags: &mut Diagnostics,
                           alias: &Spanned<String>,
                           owner: &str,
                           kind: &'static str| {
        let key = alias.value.to_lowercase();
        if let Some((_, other, _)) = seen_alias
            .iter()
            .find(|(k, o, kd)| *k == key && o != owner && *kd == kind)
        {
            diags.at(
                file,
                at.pos_of(alias),
                format!("alias \"{}\" of \"{owner}\" already names {kind} \"{other}\"; an alias must name one place", alias.value),
            );
        } else {
            seen_alias.push((key, owner.to_string(), kind));
        }
    };
    for c in raw.countries {
        if places.country(&c.name.value).is_some() {
            diags.at(
                file,
                at.pos_of(&c.name),
                format!("country \"{}\" is listed twice", c.name.value),
            );
            continue;
        }
        for a in &c.aliases {
            check_alias(diags, a, &c.name.value, "country");
        }
        places.countries.push(Country {
            name: c.name.value,
            en: c.en,
            aliases: c.aliases.into_iter().map(|a| a.value).collect(),
        });
    }
    for c in raw.cities {
        if places.city(&c.name.value).is_some() {
            diags.at(
                file,
                at.pos_of(&c.name),
                format!("city \"{}\" is listed twice", c.name.value),
            );
            continue;
        }
        if places.country(&c.country.value).is_none() {
            diags.at_hint(
                file,
                at.pos_of(&c.country),
                format!(
                    "city \"{}\" names unknown country \"{}\"",
                    c.name.value, c.country.value
                ),
                did_you_mean(&places.countries, &c.country.value)
                    .or_else(|| Some("add the country under `countries:` first".into())),
            );
        }
        if !(-90.0..=90.0).contains(&c.lat.value) {
            diags.at(
                file,
                at.pos_of(&c.lat),
                format!("latitude {} is outside -90..90", c.lat.value),
            );
        }
        if !(-180.0..=180.0).contains(&c.lon.value) {
            diags.at(
                file,
                at.pos_of(&c.lon),
                format!("longitude {} is outside -180..180", c.lon.value),
            );
        }
        for a in &c.aliases {
            check_alias(diags, a, &c.name.value, "city");
        }
        places.cities.push(City {
            name: c.name.value,
            country: c.country.value,
            en: c.en,
            aliases: c.aliases.into_iter().map(|a| a.value).collect(),
            lat: c.lat.value,
            lon: c.lon.value,
        });
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const OK: &str = "countries:\n  - name: 美国\n    en: United States\n    aliases: [USA, US]\ncities:\n  - {name: 波士顿, country: 美国, en: Boston, aliases: [bosidun], lat: 42.36, lon: -71.06}\n";

    fn load(text: &str) -> (Places, Vec<String>) {
        let f = FileText {
            path: Path::new("places.yaml"),
            text,
        };
        let mut d = Diagnostics::new();
        let p = parse(&f, &mut d);
        (p, d.into_sorted().iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn aliases_resolve_case_insensitively() {
        let (p, d) = load(OK);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(p.resolve_city("boston").unwrap().name, "波士顿");
        assert_eq!(p.resolve_city("BOSIDUN").unwrap().name, "波士顿");
        assert_eq!(p.resolve_country("usa").unwrap().name, "美国");
        assert!(p.resolve_city("Bostn").is_none());
        assert_eq!(
            did_you_mean(&p.cities, "Bostn").unwrap(),
            "did you mean \"波士顿\" (Boston)?"
        );
    }

    #[test]
    fn unknown_country_of_a_city_is_pinned_to_its_line() {
        let text = OK.replace("country: 美国", "country: 美過");
        let (_, d) = load(&text);
        assert_eq!(d.len(), 1);
        assert!(d[0].starts_with("places.yaml:6:"), "{d:?}");
        assert!(d[0].contains("unknown country \"美過\""), "{d:?}");
    }
}
