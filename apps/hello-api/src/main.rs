//! The smallest useful platform: one service on ECS Fargate in two regions behind TLS load
//! balancers, sharing a DynamoDB global table. `HAPLAT_OUTDIR=out cargo run -p hello-api`.
use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::fargate::RunAs;
use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr};
use haplat_constructs::security::Grantable;
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{RegionSpec, service::ServiceProps};
use haplat_core::App;

/// Why the service runs as its image's user with a writable root filesystem.
const NGINX_RUNS_AS_ROOT: &str = "the NGINX image starts as root to bind port 80 and writes /var/cache/nginx and \
                                  /var/run; an application image runs as its own user with RunAs::User";

fn main() -> std::process::ExitCode {
    let app = App::new("hello");
    let regions = vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("us-west-2")];
    let data = app.stack("Data", "us-east-1");
    let table =
        GlobalTable::new(&data, "Greetings", GlobalTableProps::new(KeyAttr::string("id"), &["us-east-1", "us-west-2"]));
    let cert = ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0HELLO0000000000001", "hello.example.com") };
    let api = MultiRegionApi::new_stack_set(
        &app,
        "Api",
        ApiProps {
            // NGINX's image listens on 80 and answers `/`: what the load balancer checks.
            services: vec![ServiceProps {
                health_check_path: "/".into(),
                run_as: RunAs::image_default(NGINX_RUNS_AS_ROOT),
                ..ServiceProps::new("hello", "public.ecr.aws/nginx/nginx:1.27", 80)
            }],
            ..ApiProps::new(regions, "api.hello.example.com", cert)
        },
    );
    for service in &api.services {
        table.grant_read_write(service);
    }
    app.run()
}
