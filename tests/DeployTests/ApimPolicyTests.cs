using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Wrapper.DeployTests;

[TestFixture]
public class ApimPolicyTests
{
    private static readonly string[] Sections = ["inbound", "backend", "outbound", "on-error"];

    public static IEnumerable<TestCaseData> PolicyFiles() =>
        Directory.EnumerateFiles(DeployPaths.ApimDirectory, "*.xml")
            .Order(StringComparer.Ordinal)
            .Select(path => new TestCaseData(path).SetArgDisplayNames(DeployPaths.Relative(path)));

    public static IEnumerable<TestCaseData> FragmentFiles() =>
        Directory.EnumerateFiles(Path.Combine(DeployPaths.ApimDirectory, "fragments"), "*.xml")
            .Order(StringComparer.Ordinal)
            .Select(path => new TestCaseData(path).SetArgDisplayNames(DeployPaths.Relative(path)));

    public static IEnumerable<TestCaseData> AllFiles() => PolicyFiles().Concat(FragmentFiles());

    [Test]
    public void The_four_policies_and_the_fragment_exist()
    {
        Assert.That(
            PolicyFiles().Select(testCase => Path.GetFileName((string)testCase.Arguments[0]!)),
            Is.EquivalentTo(new[] { "apim-policy.xml", "apim-policy-with-healthcheck.xml", "apim-healthcheck-monitor.xml", "apim-policy-native-pool.xml" }));
        Assert.That(FragmentFiles().Count(), Is.EqualTo(1));
    }

    [TestCaseSource(nameof(PolicyFiles))]
    public void Policy_is_well_formed_with_the_four_sections_in_order(string path)
    {
        var root = XDocument.Load(path).Root!;

        Assert.That(root.Name.LocalName, Is.EqualTo("policies"));
        Assert.That(root.Elements().Select(element => element.Name.LocalName), Is.EqualTo(Sections));
        Assert.Multiple(() =>
        {
            foreach (var section in new[] { "inbound", "outbound", "on-error" })
            {
                Assert.That(root.Element(section)!.Elements().First().Name.LocalName, Is.EqualTo("base"), $"<{section}> inherits the outer scopes first");
            }
        });
    }

    [TestCaseSource(nameof(PolicyFiles))]
    public void Backend_section_forwards_the_request_once(string path)
    {
        var backend = XDocument.Load(path).Root!.Element("backend")!;

        var forwards = backend.Descendants("forward-request").Count();
        var inherits = backend.Elements("base").Count();

        Assert.That(forwards + inherits, Is.EqualTo(1), "exactly one of <base /> (which forwards) or one <forward-request>");
        if (forwards == 1)
        {
            Assert.That(backend.Descendants("forward-request").Single().Attribute("buffer-request-body")?.Value, Is.EqualTo("true"), "a retried POST needs its body again");
        }
    }

    [TestCaseSource(nameof(FragmentFiles))]
    public void Fragment_is_well_formed_with_a_fragment_root(string path)
    {
        var root = XDocument.Load(path).Root!;

        Assert.That(root.Name.LocalName, Is.EqualTo("fragment"));
        Assert.That(root.Elements(), Is.Not.Empty);
    }

    [TestCaseSource(nameof(AllFiles))]
    public void Policy_expressions_compile_as_CSharp_7_against_the_APIM_context(string path)
    {
        var expressions = PolicyExpressions.Find(XDocument.Load(path), DeployPaths.Relative(path));

        Assert.That(expressions, Is.Not.Empty);
        Assert.That(PolicyExpressions.Compile(expressions), Is.Empty);
    }

    [Test]
    public void Expression_check_reports_errors()
    {
        var errors = PolicyExpressions.Compile(
        [
            new PolicyExpression("unknown member", "context.Request.Nope", IsBlock: false),
            new PolicyExpression("missing return", "int seconds = 1;", IsBlock: true),
            new PolicyExpression("C# 8 syntax", "context.Variables[\"x\"] is not null", IsBlock: false),
        ]);

        Assert.That(errors, Has.Count.EqualTo(3));
        Assert.That(errors, Has.Some.StartsWith("unknown member"));
        Assert.That(errors, Has.Some.StartsWith("missing return"));
        Assert.That(errors, Has.Some.StartsWith("C# 8 syntax"));
    }

    [TestCaseSource(nameof(AllFiles))]
    public void Named_values_and_fragments_used_are_created_by_the_template(string path)
    {
        var text = File.ReadAllText(path);
        var created = CreatedApimEntityNames();

        var namedValues = Regex.Matches(text, @"\{\{(?<name>[A-Za-z0-9._-]+)\}\}").Select(match => match.Groups["name"].Value);
        var fragments = XDocument.Load(path).Descendants("include-fragment").Select(element => element.Attribute("fragment-id")!.Value);
        var missing = namedValues.Concat(fragments).Distinct().Where(name => !created.Any(pattern => pattern.IsMatch(name)));

        Assert.That(missing, Is.Empty);
    }

    [TestCase("apim-policy.xml")]
    [TestCase("apim-policy-with-healthcheck.xml")]
    public void Custom_policy_answers_503_with_Retry_After_instead_of_using_an_unhealthy_backend(string file)
    {
        var inbound = XDocument.Load(Path.Combine(DeployPaths.ApimDirectory, file)).Root!.Element("inbound")!;

        var refusal = inbound.Descendants("return-response")
            .SingleOrDefault(response => response.Element("set-status")?.Attribute("code")?.Value == "503");

        Assert.That(refusal, Is.Not.Null);
        Assert.That(refusal!.Elements("set-header").Select(header => header.Attribute("name")!.Value), Does.Contain("Retry-After"));
        Assert.That(inbound.ToString(), Does.Contain("APIM-Backend-Instance="), "cookie affinity");
    }

    [Test]
    public void Health_aware_policy_routes_only_to_backends_that_are_ready()
    {
        var document = XDocument.Load(Path.Combine(DeployPaths.ApimDirectory, "apim-policy-with-healthcheck.xml"));
        var fragment = File.ReadAllText(Path.Combine(DeployPaths.ApimDirectory, "fragments", "wrapper-probe-backends.xml"));

        Assert.That(document.Descendants("include-fragment").Select(element => element.Attribute("fragment-id")!.Value), Does.Contain("wrapper-probe-backends"));
        Assert.That(Regex.Matches(fragment, @"/health/ready</set-url>").Count, Is.EqualTo(5));
        Assert.That(fragment, Does.Contain("StatusCode == 200 ? \"ready\" : \"unready\""));
    }

    /// <summary>Names of the named values and fragments apim-api.bicep creates, `${…}` read as a number.</summary>
    private static List<Regex> CreatedApimEntityNames()
    {
        var bicep = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "modules", "apim-api.bicep"));
        return Regex.Matches(bicep, @"resource \w+ 'Microsoft\.ApiManagement/service/(namedValues|policyFragments)@[^']+' = (\[\s*for [^:]+:\s*)?\{\s*parent: \w+\s*name: '(?<name>[^']+)'")
            .Select(match => new Regex("^" + Regex.Replace(Regex.Escape(match.Groups["name"].Value), @"\\\$\\\{[^}]*}", @"\d+") + "$"))
            .ToList();
    }
}
