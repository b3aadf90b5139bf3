//! Sends every request the Marketo connector makes, once, to the REST API at `--rest` and the
//! identity service at `--identity`: `tests/marketo_prism.sh` points it at Prism mocks of
//! Adobe's own Swagger files, which validate each request. Exits 1 if any request is refused
//! as invalid (422); mock answers that do not read as real data are expected and ignored.

use tandem::sources::{Secret, SourceError, marketo_client};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(rest), Some(identity)) = (arg("--rest"), arg("--identity")) else {
        eprintln!("usage: marketo_probe --rest URL --identity URL");
        return std::process::ExitCode::from(2);
    };
    let mut m = match marketo_client(
        &rest,
        Some(&identity),
        "probe-client",
        Secret::new("probe-secret"),
        "MARKETO_CLIENT_SECRET",
    ) {
        // One try each: the mock's made-up answers are not worth retrying.
        Ok(m) => m
            .with_retry(tandem::sources::RetryPolicy::once())
            .with_fields(vec!["leadStatus".into()]),
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut invalid = 0;
    let mut report = |what: &str, r: Result<(), SourceError>| {
        let verdict = match &r {
            Ok(()) => "ok".to_string(),
            Err(SourceError::Api { status: 422, .. }) => {
                invalid += 1;
                format!("INVALID REQUEST: {:?}", r)
            }
            Err(e) => format!("sent (the mock's answer: {e})"),
        };
        println!("{what}: {verdict}");
    };
    let ids = vec![
        "00Q000000000001001".to_string(),
        "00Q000000000001002".to_string(),
    ];
    report(
        "leads by sfdcLeadId",
        m.leads_by("sfdcLeadId", &ids).await.map(drop),
    );
    let emails = vec!["ada@example.com".to_string()];
    report(
        "leads by email",
        m.leads_by("email", &emails).await.map(drop),
    );
    report(
        "leads by id",
        m.leads_by("id", &["1001".to_string()]).await.map(drop),
    );
    let since = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .expect("instant")
        .to_utc();
    report("paging token", m.paging_token(since).await.map(drop));
    report(
        "activities",
        m.activities("GIYDAOBNGEYS2MBWKQ".into(), None)
            .await
            .map(drop),
    );
    report(
        "activities of leads",
        m.activities("GIYDAOBNGEYS2MBWKQ".into(), Some(&[1001, 1002]))
            .await
            .map(drop),
    );
    report(
        "lead changes",
        m.lead_changes(
            "GIYDAOBNGEYS2MBWKQ".into(),
            &["leadStatus".into(), "leadScore".into()],
            Some(&[1001]),
        )
        .await
        .map(drop),
    );
    report("add to list", m.add_to_list(1001, 1001).await);
    report("is member", m.is_member(1001, 1001).await.map(drop));
    report("remove from list", m.remove_from_list(1001, 1001).await);
    report("daily usage", m.read_usage().await);
    // Programs live in the asset API, which Adobe specifies apart: ask its mock.
    if let Some(asset) = arg("--asset") {
        match marketo_client(
            &asset,
            Some(&identity),
            "probe-client",
            Secret::new("probe-secret"),
            "MARKETO_CLIENT_SECRET",
        ) {
            Ok(a) => {
                let mut a = a.with_retry(tandem::sources::RetryPolicy::once());
                report("programs", a.programs().await.map(drop));
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    if invalid > 0 {
        eprintln!("{invalid} request(s) did not match Adobe's Swagger");
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
