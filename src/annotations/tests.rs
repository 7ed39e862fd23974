use super::*;

fn new(time: &str, kind: AnnotationKind, service: Option<&str>) -> NewAnnotation {
    NewAnnotation {
        time: time.into(),
        end: None,
        kind,
        service: service.map(str::to_string),
        text: "v2.3.1".into(),
        labels: BTreeMap::from([("team".into(), "payments".into())]),
    }
}

#[test]
fn annotations_are_listed_by_range_service_and_kind() {
    let mut a = Annotations::default();
    let deploy = a
        .add(
            new(
                "2026-12-01T10:00:00Z",
                AnnotationKind::Deploy,
                Some("checkout"),
            ),
            7,
        )
        .unwrap();
    assert_eq!((deploy.id, deploy.created_us), (0, 7));
    let mut incident = new("2026-12-01T11:00:00Z", AnnotationKind::Incident, None);
    incident.end = Some("2026-12-01T11:18:00Z".into());
    a.add(incident, 8).unwrap();
    a.add(
        new(
            "2026-12-02T10:00:00Z",
            AnnotationKind::Deploy,
            Some("search"),
        ),
        9,
    )
    .unwrap();
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
    let ids = |v: Vec<&Annotation>| v.iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(a.list(i64::MIN, i64::MAX, None, None)), [0, 1, 2]);
    // An incident still running at `from` overlaps; the end of the range is excluded.
    assert_eq!(
        ids(a.list(
            t("2026-12-01T11:10:00Z"),
            t("2026-12-02T10:00:00Z"),
            None,
            None
        )),
        [1]
    );
    // A service's list has the annotations for every service too.
    assert_eq!(
        ids(a.list(i64::MIN, i64::MAX, Some("checkout"), None)),
        [0, 1]
    );
    assert_eq!(
        ids(a.list(i64::MIN, i64::MAX, None, Some(AnnotationKind::Deploy))),
        [0, 2]
    );
    assert!(a.delete(0) && !a.delete(0));
    // Ids are never reused, also after a restore.
    let mut restored = Annotations::default();
    restored.import(&a.export());
    let next = restored
        .add(new("2026-12-03T00:00:00Z", AnnotationKind::Note, None), 10)
        .unwrap();
    assert_eq!(next.id, 3);
    let g = GrafanaAnnotation::from(
        a.list(i64::MIN, i64::MAX, None, Some(AnnotationKind::Incident))[0],
    );
    assert_eq!(
        (g.time, g.time_end - g.time),
        (t("2026-12-01T11:00:00Z") / 1_000, 18 * 60_000)
    );
    assert_eq!(g.tags, ["incident", "team:payments"]);
    assert_eq!(g.title, "incident");
}

#[test]
fn bad_and_oversized_annotations_are_refused_with_the_limit() {
    let mut a = Annotations::default();
    let err = |a: &mut Annotations, n: NewAnnotation| a.add(n, 0).unwrap_err().to_string();
    let mut n = new("yesterday", AnnotationKind::Note, None);
    assert!(err(&mut a, n.clone()).starts_with("time: \"yesterday\" is not an RFC 3339 time"));
    n.time = "2026-12-01T10:00:00Z".into();
    n.end = Some("2026-12-01T09:00:00Z".into());
    assert_eq!(
        err(&mut a, n.clone()),
        "end 2026-12-01T09:00:00Z is before time 2026-12-01T10:00:00Z"
    );
    n.end = None;
    n.text = "x".repeat(MAX_TEXT_BYTES + 1);
    assert_eq!(err(&mut a, n.clone()), "text is 4097 bytes, at most 4096");
    n.text.clear();
    n.labels = (0..17).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(err(&mut a, n.clone()), "17 labels, at most 16");
    n.labels = BTreeMap::from([(String::new(), "v".into())]);
    assert!(err(&mut a, n.clone()).starts_with("label \"\": names are 1 to 256 bytes"));
    n.labels.clear();
    for _ in 0..MAX_ANNOTATIONS {
        a.add(n.clone(), 0).unwrap();
    }
    assert_eq!(
        err(&mut a, n.clone()),
        "10000 annotations are kept at most: delete old ones first"
    );
    assert!(a.delete(5));
    assert!(a.add(n, 0).is_ok());
    assert_eq!(a.len(), MAX_ANNOTATIONS);
}
