//! `store` and `filter`.

use std::cell::RefCell;

use hoist_core::filter::{parse_until, Filters, Glob};
use hoist_core::store::ImageIndex as CoreIndex;

use crate::bindings::exports::hoist::image::filter as wf;
use crate::bindings::exports::hoist::image::store as ws;
use crate::bindings::exports::hoist::image::types::{Error, ImageRecord, PullRecord};
use crate::convert::{self, changes_out, digest_in, record_in, record_out, res};
use crate::Component;

/// The image index; methods mutate it, hence the cell (one instance is single-threaded).
pub struct ImageIndex(RefCell<CoreIndex>);

type Changes = Result<Vec<ws::Change>, Error>;

impl ImageIndex {
    fn apply(
        &self,
        op: impl FnOnce(
            &mut CoreIndex,
        )
            -> Result<Vec<hoist_core::store::Change>, hoist_core::store::StoreError>,
    ) -> Changes {
        res(op(&mut self.0.borrow_mut())).map(|c| changes_out(&c))
    }
}

impl ws::GuestImageIndex for ImageIndex {
    fn new() -> Self {
        ImageIndex(RefCell::new(CoreIndex::new()))
    }

    fn from_json(bytes: Vec<u8>) -> Result<ws::ImageIndex, Error> {
        let index = res(CoreIndex::from_json(&bytes))?;
        Ok(ws::ImageIndex::new(ImageIndex(RefCell::new(index))))
    }

    fn to_json(&self) -> Vec<u8> {
        self.0.borrow().to_json()
    }

    fn set_search_registries(&self, registries: Vec<String>) {
        self.0.borrow_mut().set_search_registries(&registries);
    }

    fn add(&self, record: ImageRecord) -> Changes {
        let record = record_in(record)?;
        self.apply(|i| i.add(record))
    }

    fn record_pull(&self, pull: PullRecord, now: i64) -> Changes {
        let pull = convert::pull_record_in(pull)?;
        self.apply(|i| i.record_pull(pull, now))
    }

    fn tag(&self, image: String, name: String) -> Changes {
        self.apply(|i| i.tag(&image, &name))
    }

    fn untag(&self, image: String, name: Option<String>) -> Changes {
        self.apply(|i| i.untag(&image, name.as_deref()))
    }

    fn remove(&self, image: String, force: bool) -> Changes {
        self.apply(|i| i.remove(&image, force))
    }

    fn remove_all(&self, image: String) -> Changes {
        self.apply(|i| i.remove_all(&image))
    }

    fn resolve(&self, input: String) -> Result<ImageRecord, Error> {
        res(self.0.borrow().resolve(&input)).map(record_out)
    }

    fn get(&self, id: String) -> Option<ImageRecord> {
        let id = digest_in(&id).ok()?;
        self.0.borrow().get(&id).map(record_out)
    }

    fn records(&self) -> Vec<ImageRecord> {
        self.0.borrow().records().map(record_out).collect()
    }

    fn list(&self, filters: Vec<String>, now: i64) -> Result<Vec<ImageRecord>, Error> {
        let index = self.0.borrow();
        let args: Vec<&str> = filters.iter().map(String::as_str).collect();
        let f = res(Filters::parse(&args, &index, now))?;
        Ok(index.list(&f).into_iter().map(record_out).collect())
    }
}

impl ws::Guest for Component {
    type ImageIndex = ImageIndex;
}

/// Parsed `--filter` arguments.
pub struct Filter(Filters);

impl wf::GuestFilter for Filter {
    fn parse(
        args: Vec<String>,
        index: wf::ImageIndexBorrow<'_>,
        now: i64,
    ) -> Result<wf::Filter, Error> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let index = index.get::<ImageIndex>().0.borrow();
        Ok(wf::Filter::new(Filter(res(Filters::parse(
            &args, &index, now,
        ))?)))
    }

    fn clauses(&self) -> Vec<wf::Clause> {
        self.0.clauses().iter().map(convert::clause_out).collect()
    }

    fn matches(&self, record: ImageRecord) -> bool {
        record_in(record).is_ok_and(|r| self.0.matches(&r))
    }
}

impl wf::Guest for Component {
    type Filter = Filter;

    fn glob_match(pattern: String, name: String) -> Result<bool, Error> {
        res(Glob::new(&pattern)).map(|g| g.is_match(&name))
    }

    fn parse_until(value: String, now: i64) -> Result<wf::UnixTime, Error> {
        res(parse_until(&value, now)).map(|t| wf::UnixTime {
            seconds: t.secs,
            nanos: t.nanos,
        })
    }
}
