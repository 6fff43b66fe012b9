using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Wrapper.DeployTests;

/// <summary>Static checks of the image definition and the compose file (no Docker engine in CI).</summary>
[TestFixture]
public class ContainerTests
{
    private static readonly Dockerfile Image = Dockerfile.Load(Path.Combine(DeployPaths.ContainerDirectory, "Dockerfile"));

    [Test]
    public void Image_is_built_with_the_SDK_and_runs_on_the_ASPNET_runtime()
    {
        Assert.That(Image.Stages, Has.Count.GreaterThanOrEqualTo(2), "multi-stage");
        Assert.That(Image.Stages[0].BaseImage, Is.EqualTo("mcr.microsoft.com/dotnet/sdk:10.0"));
        Assert.That(Image.Final.BaseImage, Is.EqualTo("mcr.microsoft.com/dotnet/aspnet:10.0"));
        Assert.That(Image.Final.Instructions("COPY").Single(), Does.StartWith("--from=build"), "only the published output reaches the runtime image");
    }

    [Test]
    public void Image_listens_on_and_exposes_port_8000()
    {
        Assert.That(Image.Final.Instructions("EXPOSE").Select(Image.Final.Resolve), Is.EqualTo(new[] { "8000" }));
        Assert.That(Image.Final.Resolve("${ASPNETCORE_HTTP_PORTS}"), Is.EqualTo("8000"), "Kestrel's port");
    }

    [Test]
    public void Image_runs_as_a_non_root_user()
    {
        var user = Image.Final.Instructions("USER").LastOrDefault();

        Assert.That(user, Is.Not.Null, "a USER instruction in the runtime stage");
        Assert.That(user, Is.Not.EqualTo("root").And.Not.EqualTo("0").And.Not.StartWith("0:").And.Not.StartWith("root:"));
        Assert.That(user, Is.EqualTo("$APP_UID").Or.EqualTo("app"), "the non-root user of the .NET images");
    }

    [Test]
    public void Image_health_check_calls_the_liveness_endpoint()
    {
        var healthCheck = Image.Final.Resolve(Image.Final.Instructions("HEALTHCHECK").Single());

        Assert.That(healthCheck, Does.Contain("CMD"));
        Assert.That(healthCheck, Does.Contain("http://127.0.0.1:8000/health/live"));
        Assert.That(healthCheck, Does.Contain("--fail"), "a non-2xx answer must fail the check");
    }

    [Test]
    public void Image_includes_the_simulator_unless_built_with_INCLUDE_SIMULATOR_false()
    {
        var build = Image.Stages[0];
        var restore = build.Instructions("RUN").Single(r => r.Contains("dotnet restore", StringComparison.Ordinal));
        var publish = build.Instructions("RUN").Single(r => r.Contains("dotnet publish", StringComparison.Ordinal));
        var project = File.ReadAllText(Path.Combine(DeployPaths.DeployDirectory, "..", "src", "Api", "Wrapper.Api.csproj"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(build.Resolve("${INCLUDE_SIMULATOR}"), Is.EqualTo("true"), "the default image keeps it (compose, smoke deployments)");
            Assert.That(restore, Does.Contain("-p:IncludeSimulator=${INCLUDE_SIMULATOR}"), "restore sees the same project references");
            Assert.That(publish, Does.Contain("-p:IncludeSimulator=${INCLUDE_SIMULATOR}"));
            Assert.That(project, Does.Contain("Condition=\"'$(IncludeSimulator)' == 'true'\"").And.Contain("INCLUDE_SIMULATOR"),
                "the Api project honours the property");
        }
    }

    [Test]
    public void Build_context_filter_keeps_build_output_and_secrets_out()
    {
        var ignored = File.ReadAllLines(Path.Combine(DeployPaths.ContainerDirectory, "Dockerfile.dockerignore"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToList();

        Assert.That(ignored, Is.SupersetOf(new[] { "**/bin/", "**/obj/", ".git/", "tests/", "**/.env" }));
    }

    [Test]
    public void Compose_runs_the_simulator_five_API_instances_and_the_gateway()
    {
        var services = ComposeServices();
        var apis = services.Where(service => service.Key.StartsWith("api-", StringComparison.Ordinal)).ToList();

        Assert.That(services.Keys, Is.EquivalentTo(new[] { "simulator", "api-1", "api-2", "api-3", "api-4", "api-5", "gateway" }));
        Assert.Multiple(() =>
        {
            Assert.That(apis.Select(api => Scalar(api.Value, "build", "args", "PROJECT")), Has.All.EqualTo("src/Api/Wrapper.Api.csproj"));
            Assert.That(apis.Select(api => Scalar(api.Value, "environment", "INSTANCE_ID")), Is.Unique);
            Assert.That(apis.Select(api => Scalar(api.Value, "environment", "OPENAI_ENDPOINT")), Has.All.EqualTo("${OPENAI_ENDPOINT:-http://simulator:8000}"));
            Assert.That(Scalar(services["simulator"], "build", "args", "PROJECT"), Is.EqualTo("src/Simulator/Wrapper.Simulator.csproj"));
            Assert.That(Scalar(services["gateway"], "build", "args", "PROJECT"), Is.EqualTo("src/Gateway/Wrapper.Gateway.csproj"));
            Assert.That(Scalar(services["gateway"], "build", "args", "PORT"), Is.EqualTo("8080"));
            Assert.That(Sequence(services["gateway"], "ports"), Is.EqualTo(new[] { "8080:8080" }));
        });
    }

    [Test]
    public void Compose_gateway_balances_over_the_five_instances()
    {
        var environment = (YamlMappingNode)ComposeServices()["gateway"]["environment"];

        // The gateway reads Gateway:Backends (src/Gateway/Configuration/GatewayOptions.cs), not YARP's ReverseProxy section.
        var addresses = environment.Children
            .Where(entry => System.Text.RegularExpressions.Regex.IsMatch(entry.Key.ToString(), @"^Gateway__Backends__\d+__Address$"))
            .Select(entry => entry.Value.ToString());
        var names = environment.Children
            .Where(entry => System.Text.RegularExpressions.Regex.IsMatch(entry.Key.ToString(), @"^Gateway__Backends__\d+__Name$"))
            .Select(entry => entry.Value.ToString());

        Assert.Multiple(() =>
        {
            Assert.That(addresses, Is.EquivalentTo(Enumerable.Range(1, 5).Select(index => $"http://api-{index}:8000/")));
            Assert.That(names, Is.EquivalentTo(Enumerable.Range(1, 5).Select(index => $"api-{index}")));
            Assert.That(environment.Children.Keys.Select(key => key.ToString()), Has.None.StartsWith("ReverseProxy__"));
        });
    }

    private static Dictionary<string, YamlMappingNode> ComposeServices()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(DeployPaths.ContainerDirectory, "compose.yaml")))
        {
            yaml.Load(reader);
        }
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        return services.Children.ToDictionary(entry => entry.Key.ToString(), entry => Merged((YamlMappingNode)entry.Value));
    }

    /// <summary>The mapping with its YAML merge keys (<c>&lt;&lt;: *anchor</c>) applied, recursively.</summary>
    private static YamlMappingNode Merged(YamlMappingNode node)
    {
        var result = new YamlMappingNode();
        foreach (var (key, value) in node.Children.Where(entry => entry.Key.ToString() == "<<"))
        {
            foreach (var (innerKey, innerValue) in Merged((YamlMappingNode)value).Children)
            {
                result.Children[innerKey] = innerValue;
            }
        }
        foreach (var (key, value) in node.Children.Where(entry => entry.Key.ToString() != "<<"))
        {
            result.Children[key] = value is YamlMappingNode mapping ? Merged(mapping) : value;
        }
        return result;
    }

    private static string Scalar(YamlMappingNode node, params string[] path) =>
        path.Aggregate((YamlNode)node, (current, key) => ((YamlMappingNode)current)[key]).ToString();

    private static IEnumerable<string> Sequence(YamlMappingNode node, string key) =>
        ((YamlSequenceNode)node[key]).Children.Select(child => child.ToString());
}

/// <summary>Just enough of a Dockerfile parser for static checks: stages, instructions, ARG/ENV defaults.</summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<Stage> stages) => Stages = stages;

    public IReadOnlyList<Stage> Stages { get; }

    public Stage Final => Stages[^1];

    public static Dockerfile Load(string path)
    {
        var text = File.ReadAllText(path).Replace("\\\r\n", " ").Replace("\\\n", " ");
        var instructions = text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2, StringSplitOptions.TrimEntries))
            .Select(parts => (Keyword: parts[0].ToUpperInvariant(), Arguments: parts.Length > 1 ? parts[1] : ""))
            .ToList();

        // ARGs before the first FROM are global: usable in FROM lines, and inherited by a stage that re-declares them.
        var globals = new Dictionary<string, string>();
        var stages = new List<Stage>();
        foreach (var (keyword, arguments) in instructions)
        {
            if (keyword == "FROM")
            {
                var image = arguments.Split(' ')[0];
                stages.Add(new Stage(Substitute(image, globals), globals));
            }
            else if (stages.Count == 0)
            {
                if (keyword == "ARG")
                {
                    AddDefinition(globals, arguments);
                }
            }
            else
            {
                stages[^1].Add(keyword, arguments);
            }
        }
        return new Dockerfile(stages);
    }

    private static void AddDefinition(Dictionary<string, string> variables, string definition)
    {
        foreach (Match match in Definition().Matches(definition))
        {
            variables[match.Groups["name"].Value] = match.Groups["value"].Value;
        }
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string> variables) =>
        Reference().Replace(text, match =>
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["plain"].Value;
            return variables.TryGetValue(name, out var value) ? value : match.Value;
        });

    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:=(?<value>""[^""]*""|\S*))?")]
    private static partial Regex Definition();

    [GeneratedRegex(@"\$\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<plain>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Reference();

    internal sealed class Stage(string baseImage, IReadOnlyDictionary<string, string> globals)
    {
        private readonly List<(string Keyword, string Arguments)> instructions = [];
        private readonly Dictionary<string, string> variables = [];

        public string BaseImage { get; } = baseImage;

        public IEnumerable<string> Instructions(string keyword) =>
            instructions.Where(instruction => instruction.Keyword == keyword).Select(instruction => instruction.Arguments);

        /// <summary>Replaces ARG/ENV references by their default values in this stage.</summary>
        public string Resolve(string text) => Substitute(text, variables);

        public void Add(string keyword, string arguments)
        {
            instructions.Add((keyword, arguments));
            if (keyword is "ARG" or "ENV")
            {
                var definitions = new Dictionary<string, string>();
                AddDefinition(definitions, arguments);
                foreach (var (name, value) in definitions)
                {
                    // `ARG NAME` without a value takes the global default; values may reference earlier ones.
                    variables[name] = value.Length == 0 && globals.TryGetValue(name, out var global)
                        ? global
                        : Substitute(value.Trim('"'), variables);
                }
            }
        }
    }
}
