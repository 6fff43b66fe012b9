using System.Text.Json;
using System.Text.RegularExpressions;

namespace Wrapper.DeployTests;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public class BicepTemplateTests
{
    /// <summary>Placeholder values for the variables main.bicepparam requires (it has no default for them).</summary>
    private static readonly Dictionary<string, string> RequiredEnvironment = new()
    {
        ["AZURE_CONTAINER_REGISTRY"] = "wrapperregistry",
        ["WRAPPER_IMAGE"] = "wrapper-api:test",
        ["WRAPPER_BACKEND_API_KEY"] = "backend-key-for-tests",
        ["APIM_PUBLISHER_EMAIL"] = "platform@example.com",
    };

    // One `bicep build` and one `bicep lint` over every .bicep file (each run costs seconds of start-up);
    // the per-file tests read their own diagnostics and output from these shared runs.
    private static readonly string OutputDirectory = Path.Combine(Path.GetTempPath(), $"wrapper-deploy-tests-{Guid.NewGuid():N}");
    private static readonly Lazy<Task<BicepResult>> BuildAll = new(() =>
        BicepCli.RunAsync(null, "build", "--no-restore", "--pattern", "**/*.bicep", "--outdir", OutputDirectory));
    private static readonly Lazy<Task<BicepResult>> LintAll = new(() =>
        BicepCli.RunAsync(null, "lint", "--no-restore", "--pattern", "**/*.bicep"));

    public static IEnumerable<TestCaseData> BicepFiles() =>
        Directory.EnumerateFiles(DeployPaths.BicepDirectory, "*.bicep", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => new TestCaseData(path).SetArgDisplayNames(DeployPaths.Relative(path)));

    [OneTimeTearDown]
    public void RemoveBuildOutput()
    {
        if (Directory.Exists(OutputDirectory))
        {
            Directory.Delete(OutputDirectory, recursive: true);
        }
    }

    [TestCaseSource(nameof(BicepFiles))]
    public async Task Bicep_file_builds_and_lints_without_any_warning_or_error(string path)
    {
        var (build, lint) = (BuildAll.Value, LintAll.Value);
        var (built, linted) = (await build, await lint);

        Assert.Multiple(() =>
        {
            Assert.That(built.ProblemsOf(path), Is.Empty, "bicep build");
            Assert.That(linted.ProblemsOf(path), Is.Empty, "bicep lint");
            Assert.That(built.UnattributedErrors.Concat(linted.UnattributedErrors), Is.Empty, "other output on stderr");
        });
        var output = Path.ChangeExtension(Path.Combine(OutputDirectory, Path.GetRelativePath(DeployPaths.BicepDirectory, path)), ".json");
        Assert.That(output, Does.Exist, $"compiled template; bicep build exit code {built.ExitCode}");
        using var template = JsonDocument.Parse(File.ReadAllText(output));
        Assert.That(template.RootElement.GetProperty("$schema").GetString(), Does.Contain("deploymentTemplate.json"));
    }

    [Test]
    public async Task Bicep_runs_succeed()
    {
        var (build, lint) = (BuildAll.Value, LintAll.Value);
        var (built, linted) = (await build, await lint);

        Assert.That(built.Diagnostics.Select(diagnostic => diagnostic.File).Distinct(), Has.All.StartWith(DeployPaths.BicepDirectory), "diagnostics name files under deploy/bicep");
        Assert.That(built.ExitCode, Is.Zero, built.StandardError);
        Assert.That(linted.ExitCode, Is.Zero, linted.StandardError);
    }

    [Test]
    public void Every_module_is_deployed_by_main()
    {
        var main = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "main.bicep"));
        var modules = Directory.EnumerateFiles(Path.Combine(DeployPaths.BicepDirectory, "modules"), "*.bicep")
            .Select(path => $"modules/{Path.GetFileName(path)}")
            .ToList();

        Assert.That(modules, Is.Not.Empty);
        Assert.That(modules.Where(module => !main.Contains($"'{module}'", StringComparison.Ordinal)), Is.Empty, "modules that main.bicep never deploys");
    }

    [Test]
    public async Task Parameters_file_builds_from_the_environment()
    {
        var environment = new Dictionary<string, string>(RequiredEnvironment)
        {
            ["APIM_POLICY"] = "circuit-breaker-healthcheck",
            ["MAX_REPLICAS_PER_INSTANCE"] = "7",
        };

        var result = await BicepCli.RunAsync(environment, "build-params", "--stdout", "main.bicepparam");

        Assert.That(result.Problems, Is.Empty);
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        using var output = JsonDocument.Parse(result.StandardOutput);
        using var parameters = JsonDocument.Parse(output.RootElement.GetProperty("parametersJson").GetString()!);
        var values = parameters.RootElement.GetProperty("parameters");
        Assert.Multiple(() =>
        {
            Assert.That(values.GetProperty("registryName").GetProperty("value").GetString(), Is.EqualTo("wrapperregistry"));
            Assert.That(values.GetProperty("apimPolicy").GetProperty("value").GetString(), Is.EqualTo("circuit-breaker-healthcheck"));
            Assert.That(values.GetProperty("maxReplicasPerInstance").GetProperty("value").GetInt32(), Is.EqualTo(7));
            Assert.That(values.GetProperty("apimSku").GetProperty("value").GetString(), Is.EqualTo("BasicV2"), "default tier");
            Assert.That(values.GetProperty("openAiApiKey").GetProperty("value").GetString(), Is.Empty, "managed identity by default");
        });
    }

    [Test]
    public async Task Parameters_file_names_every_missing_required_variable()
    {
        var result = await BicepCli.RunAsync(null, "build-params", "--stdout", "main.bicepparam");

        Assert.That(result.ExitCode, Is.Not.Zero);
        var missing = result.Diagnostics
            .Where(diagnostic => diagnostic.Code == "BCP427")
            .Select(diagnostic => Regex.Match(diagnostic.Message, "\"(?<name>[A-Z0-9_]+)\"").Groups["name"].Value)
            .Order(StringComparer.Ordinal);
        Assert.That(missing, Is.EqualTo(RequiredEnvironment.Keys.Order(StringComparer.Ordinal)));
    }

    [Test]
    public async Task Redis_signs_the_apps_in_with_Entra_ID_and_no_access_keys()
    {
        var built = await BuildAll.Value;
        Assert.That(built.ExitCode, Is.Zero, built.StandardError);
        using var template = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDirectory, "modules", "redis.json")));
        var resources = template.RootElement.GetProperty("resources");
        var byType = resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(p => p.Value).ToList()
            : resources.EnumerateArray().ToList();
        JsonElement Of(string type) => byType.Single(r => r.GetProperty("type").GetString() == type);

        var database = Of("Microsoft.Cache/redisEnterprise/databases").GetProperty("properties");
        var assignment = Of("Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments").GetProperty("properties");
        var main = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "modules", "container-apps.bicep"));
        Assert.Multiple(() =>
        {
            Assert.That(database.GetProperty("accessKeysAuthentication").GetString(), Is.EqualTo("Disabled"));
            Assert.That(database.GetProperty("clientProtocol").GetString(), Is.EqualTo("Encrypted"));
            Assert.That(assignment.GetProperty("accessPolicyName").GetString(), Is.EqualTo("default"));
            Assert.That(assignment.GetProperty("user").GetProperty("objectId").GetString(), Does.Contain("principalId"));
            Assert.That(main, Does.Contain("Redis__UseEntraId").And.Contain("Redis__ConnectionString").And.Contain("Redis__EntraIdUser"));
        });
    }

    [Test]
    public async Task Template_embeds_every_APIM_policy_file()
    {
        var built = await BuildAll.Value;
        Assert.That(built.ExitCode, Is.Zero, built.StandardError);
        using var template = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDirectory, "main.json")));
        var strings = StringValues(template.RootElement).ToHashSet(StringComparer.Ordinal);

        var policyFiles = Directory.EnumerateFiles(DeployPaths.ApimDirectory, "*.xml", SearchOption.AllDirectories).ToList();
        Assert.That(policyFiles, Has.Count.EqualTo(5));
        Assert.That(
            policyFiles.Where(path => !strings.Contains(File.ReadAllText(path))).Select(DeployPaths.Relative),
            Is.Empty,
            "policy files that the template does not deploy verbatim");
    }

    private static IEnumerable<string> StringValues(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(property => StringValues(property.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(StringValues),
        _ => [],
    };
}
