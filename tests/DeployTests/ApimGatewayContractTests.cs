using System.Text.RegularExpressions;
using System.Xml.Linq;
using Wrapper;

namespace Wrapper.DeployTests;

/// <summary>
/// The contract between the APIM policies and the service (src/Shared/WrapperHeaders.cs), checked by running the
/// policies' own C# expressions against a stand-in context: a refusal the service marks as the client's never trips
/// a backend nor fails over; the caller's subscription and product reach the service from APIM's context only; and
/// every request to a backend names its slot in X-Backend-Instance.
/// </summary>
[TestFixture]
public class ApimGatewayContractTests
{
    private static readonly Dictionary<string, string> ClientRefusal = new() { [WrapperHeaders.Refusal] = WrapperHeaders.ClientRefusal };

    public static IEnumerable<TestCaseData> RoutingPolicies() =>
        new[] { "apim-policy.xml", "apim-policy-with-healthcheck.xml", "apim-policy-native-pool.xml" }
            .Select(file => new TestCaseData(file).SetArgDisplayNames(file));

    public static IEnumerable<TestCaseData> CustomPolicies() =>
        new[] { "apim-policy.xml", "apim-policy-with-healthcheck.xml" }
            .Select(file => new TestCaseData(file).SetArgDisplayNames(file));

    private static XElement Root(string file) => XDocument.Load(Path.Combine(DeployPaths.ApimDirectory, file)).Root!;

    /// <summary>The condition under which the hand-written policies open a backend's circuit and fail over: the
    /// <c>when</c> of the backend section whose branch stores the circuit.</summary>
    private static PolicyExpression TripCondition(string file)
    {
        var when = Root(file).Element("backend")!.Descendants("when")
            .Single(element => element.Elements("cache-store-value").Any(store => store.Attribute("key")!.Value.Contains("wrapper-circuit-", StringComparison.Ordinal)));
        return PolicyExpression.Of(when.Attribute("condition")!.Value, $"{file}: trip condition");
    }

    private static bool Trips(string file, int status, IReadOnlyDictionary<string, string>? headers = null) =>
        (bool)PolicyExpressions.Evaluate(TripCondition(file), new PolicyContext(status, headers))!;

    [TestCaseSource(nameof(CustomPolicies))]
    public void Custom_policy_neither_trips_nor_fails_over_on_a_refusal_the_service_marks_as_the_clients(string file)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Trips(file, 429, ClientRefusal), Is.False, "the service's own 429 client_rate_limited");
            Assert.That(Trips(file, 429, new Dictionary<string, string> { [WrapperHeaders.Refusal] = "CLIENT" }), Is.False, "the value is read without regard to case");
            Assert.That(Trips(file, 429), Is.True, "an unmarked 429 (upstream throttling) still trips");
            Assert.That(Trips(file, 503), Is.True);
            Assert.That(Trips(file, 500), Is.True);
            Assert.That(Trips(file, 200), Is.False);
            Assert.That(Trips(file, 401), Is.False);
            Assert.That(Trips(file, 413, ClientRefusal), Is.False);
        });

        // Failover happens only in the tripping branch: elsewhere the retry condition's variable is set to false.
        var otherwise = TripConditionOtherwise(file);
        Assert.That(otherwise.Elements("set-variable").Single(v => v.Attribute("name")!.Value == "failover").Attribute("value")!.Value, Is.EqualTo("@(false)"));
    }

    private static XElement TripConditionOtherwise(string file)
    {
        var when = Root(file).Element("backend")!.Descendants("when")
            .Single(element => element.Elements("cache-store-value").Any());
        return when.Parent!.Element("otherwise")!;
    }

    [Test]
    public void Native_pool_policy_does_not_retry_a_refusal_the_service_marks_as_the_clients()
    {
        var retry = Root("apim-policy-native-pool.xml").Element("backend")!.Element("retry")!;
        var condition = PolicyExpression.Of(retry.Attribute("condition")!.Value, "native pool: retry condition");
        var noSession = new Dictionary<string, object> { ["mcp-session-backend"] = "" };

        bool Retries(int status, IReadOnlyDictionary<string, string>? headers = null) =>
            (bool)PolicyExpressions.Evaluate(condition, new PolicyContext(status, headers, Variables: noSession))!;

        Assert.Multiple(() =>
        {
            Assert.That(Retries(429, ClientRefusal), Is.False, "the service's own 429 client_rate_limited goes to the caller");
            Assert.That(Retries(429), Is.True, "an unmarked 429 is retried through the pool");
            Assert.That(Retries(502), Is.True);
            Assert.That(Retries(200), Is.False);
        });
    }

    [Test]
    public void Native_circuit_breaker_rules_do_not_count_429_because_they_cannot_read_the_refusal_header()
    {
        var bicep = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "modules", "apim-api.bicep"));
        var circuitBreaker = bicep[bicep.IndexOf("circuitBreaker:", StringComparison.Ordinal)..bicep.IndexOf("tripDuration", StringComparison.Ordinal)];
        var ranges = Regex.Matches(circuitBreaker, @"min:\s*(?<min>\d+)\s*max:\s*(?<max>\d+)")
            .Select(match => (Min: int.Parse(match.Groups["min"].Value, System.Globalization.CultureInfo.InvariantCulture), Max: int.Parse(match.Groups["max"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();

        Assert.That(ranges, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            Assert.That(ranges.Where(range => range.Min <= 429 && 429 <= range.Max), Is.Empty, "one caller over its limit would trip every member in turn");
            Assert.That(ranges.Where(range => range.Min <= 500 && 599 <= range.Max), Is.Not.Empty, "5xx still trips");
            Assert.That(circuitBreaker, Does.Not.Contain("header"), "a failureCondition has no header test (count, percentage, interval, statusCodeRanges, errorReasons)");
        });
    }

    [TestCaseSource(nameof(RoutingPolicies))]
    public void Policy_forwards_the_callers_subscription_and_product_from_the_APIM_context_only(string file)
    {
        var inbound = Root(file).Element("inbound")!;
        var headerSets = inbound.Descendants("set-header")
            .Where(header => header.Attribute("name")!.Value is WrapperHeaders.SubscriptionId or WrapperHeaders.ProductId)
            .ToList();

        // The client's values are deleted before anything else touches the headers.
        Assert.That(headerSets.Take(2).Select(h => (h.Attribute("name")!.Value, h.Attribute("exists-action")!.Value)),
            Is.EquivalentTo(new[] { (WrapperHeaders.SubscriptionId, "delete"), (WrapperHeaders.ProductId, "delete") }));

        foreach (var (header, subscription, product, expected) in new[]
        {
            (WrapperHeaders.SubscriptionId, "sub-alice", (string?)"starter", "sub-alice"),
            (WrapperHeaders.ProductId, "sub-alice", "starter", "starter"),
        })
        {
            var set = headerSets.Single(h => h.Attribute("name")!.Value == header && h.Attribute("exists-action")!.Value == "override");
            var when = set.Ancestors("when").First();
            var condition = PolicyExpression.Of(when.Attribute("condition")!.Value, $"{file}: {header} condition");
            var value = PolicyExpression.Of(set.Element("value")!.Value, $"{file}: {header} value");
            var spoofed = new Dictionary<string, string> { [header] = "spoofed-by-client" };

            Assert.Multiple(() =>
            {
                Assert.That(PolicyExpressions.Evaluate(value, new PolicyContext(RequestHeaders: spoofed, SubscriptionId: subscription, ProductId: product)), Is.EqualTo(expected));
                Assert.That(PolicyExpressions.Evaluate(condition, new PolicyContext(SubscriptionId: subscription, ProductId: product)), Is.True);
                Assert.That(PolicyExpressions.Evaluate(condition, new PolicyContext()), Is.False, "no subscription (or an API-scoped one without product): the header stays deleted");
            });
        }
    }

    [TestCaseSource(nameof(CustomPolicies))]
    public void Custom_policy_names_the_chosen_backend_in_X_Backend_Instance_on_every_try(string file)
    {
        var root = Root(file);
        Assert.That(root.Element("inbound")!.Descendants("set-header").Any(h => h.Attribute("name")!.Value == WrapperHeaders.BackendInstance && h.Attribute("exists-action")!.Value == "delete"),
            "a client cannot choose the value");

        var retry = root.Element("backend")!.Element("retry")!;
        var steps = retry.Elements().Select(e => e.Name.LocalName == "set-header" ? "set-header " + e.Attribute("name")!.Value : e.Name.LocalName).ToList();
        Assert.That(steps.IndexOf("set-header " + WrapperHeaders.BackendInstance), Is.GreaterThan(steps.IndexOf("set-backend-service")).And.LessThan(steps.IndexOf("forward-request")),
            "set after the backend of this try is chosen, before it is called");

        var set = retry.Elements("set-header").Single(h => h.Attribute("name")!.Value == WrapperHeaders.BackendInstance);
        Assert.That(set.Attribute("exists-action")!.Value, Is.EqualTo("override"));
        var value = PolicyExpression.Of(set.Element("value")!.Value, $"{file}: X-Backend-Instance");
        Assert.That(PolicyExpressions.Evaluate(value, new PolicyContext(Variables: new Dictionary<string, object> { ["backend-index"] = "3" })), Is.EqualTo("3"));
    }

    [Test]
    public void Native_pool_members_name_their_slot_in_X_Backend_Instance()
    {
        var inbound = Root("apim-policy-native-pool.xml").Element("inbound")!;
        var bicep = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "modules", "apim-api.bicep"));

        Assert.Multiple(() =>
        {
            Assert.That(inbound.Descendants("set-header").Any(h => h.Attribute("name")!.Value == WrapperHeaders.BackendInstance && h.Attribute("exists-action")!.Value == "delete"),
                "a client cannot choose the value");
            Assert.That(Regex.IsMatch(bicep, @"usesNativePool\s*\?\s*\{\s*'" + Regex.Escape(WrapperHeaders.BackendInstance) + @"':\s*\[\s*'\$\{index\}'\s*\]"),
                "each backend entity of the pool adds its own index (the pool picks the member after the policy)");
        });
    }

    [Test]
    public void Instances_know_the_key_APIM_presents_as_a_gateways_key()
    {
        var apps = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "modules", "container-apps.bicep"));

        Assert.Multiple(() =>
        {
            Assert.That(apps, Does.Match(@"\{\s*name:\s*'Auth__ApiKeys__0__Key',\s*secretRef:\s*'backend-api-key'\s*\}"), "the backend key (the one APIM's backends send) ...");
            Assert.That(apps, Does.Match(@"\{\s*name:\s*'Auth__ApiKeys__0__Gateway',\s*value:\s*'true'\s*\}"), "... is a gateway's: the subscriber headers are believed from it");
            Assert.That(apps, Does.Not.Contain("'API_KEYS'"), "not a plain client key as well");
        });
    }

    [Test]
    public void Readiness_probes_name_their_slot_too()
    {
        var fragment = XDocument.Load(Path.Combine(DeployPaths.ApimDirectory, "fragments", "wrapper-probe-backends.xml")).Root!;

        var slots = fragment.Elements("send-request")
            .Select(request => request.Elements("set-header").Single(h => h.Attribute("name")!.Value == WrapperHeaders.BackendInstance).Element("value")!.Value);

        Assert.That(slots, Is.EqualTo(new[] { "0", "1", "2", "3", "4" }));
    }
}
