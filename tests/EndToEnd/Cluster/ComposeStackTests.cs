using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Wrapper.Gateway.Status;
using YamlDotNet.RepresentationModel;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>
/// deploy/container/compose.yaml without Docker (no engine here): the simulator, api-1 and the gateway started as real
/// processes with exactly the environment the compose file gives their services. Only the addresses are rewritten:
/// every <c>http://&lt;service&gt;:8000</c> in a value becomes that service's 127.0.0.1 port (a started service's, or a
/// free port nothing listens on for api-2 … api-5, which are not started), and each process listens on
/// <c>--urls http://127.0.0.1:&lt;free port&gt;</c> instead of the image's <c>ASPNETCORE_HTTP_PORTS</c> (which would
/// bind every interface). <c>${VAR:-default}</c> takes its default, as on a machine without a .env file.
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[NonParallelizable]
public sealed partial class ComposeStackTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?<default>[^}]*))?\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@"http://(?<host>[a-z0-9-]+):(?<port>\d+)")]
    private static partial Regex ServiceAddress();

    [Test]
    public async Task TheGatewayAndOneApiStartedWithTheComposeEnvironmentShouldAnswerThroughTheGateway()
    {
        var services = ComposeFile.Services(Path.Combine(BuildOutput.RepositoryRoot, "deploy", "container", "compose.yaml"));
        string[] starting = ["simulator", "api-1", "gateway"];
        // The services not started (api-2 … api-5) keep their ports bound but not listening, so a connection to them is
        // refused and no other test's process can take one of them and answer the gateway in their place.
        var reserved = services.Keys.Where(name => !starting.Contains(name)).ToDictionary(name => name, _ => ReservePort(), StringComparer.Ordinal);
        var ports = services.Keys.ToDictionary(name => name,
            name => reserved.TryGetValue(name, out var socket) ? ((IPEndPoint)socket.LocalEndPoint!).Port : ChildProcess.FreePort(),
            StringComparer.Ordinal);
        var started = new List<ChildProcess>();
        try
        {
            foreach (var (service, project) in new[] { ("simulator", "Simulator"), ("api-1", "Api"), ("gateway", "Gateway") })
            {
                for (var attempt = 1; ; attempt++)
                {
                    var environment = Environment(services[service], ports);
                    TestContext.Progress.WriteLine($"{service}: {string.Join(", ", environment.Keys.Order(StringComparer.Ordinal))}");
                    try
                    {
                        started.Add(await ChildProcess.StartAsync(service, BuildOutput.Dll(project), ports[service], environment, StartTimeout));
                        break;
                    }
                    catch (PortTakenException) when (attempt < 3)
                    {
                        // Another test's process took the port first; the services started after this one read the new one.
                        ports[service] = ChildProcess.FreePort();
                    }
                }
            }

            var gateway = started[^1];
            using var client = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };

            using var response = await client.GetAsync("completion?query=hello");
            var body = await response.Content.ReadAsStringAsync();

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body + System.Environment.NewLine + Diagnostics(started));
            Assert.That(response.Headers.GetValues("X-Served-By-Instance").Single(), Is.EqualTo("api-1"));
            var status = (await client.GetFromJsonAsync<GatewayStatus>("gateway/status"))!;
            Assert.That(status.Backends.Select(b => b.Name), Is.EqualTo(new[] { "api-1", "api-2", "api-3", "api-4", "api-5" }),
                "the five backends of the compose file");
        }
        finally
        {
            await Task.WhenAll(started.Select(process => process.DisposeAsync().AsTask()));
            foreach (var socket in reserved.Values)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>A socket bound to a free loopback port without listening: connections to it are refused.</summary>
    private static Socket ReservePort()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    /// <summary>The service's environment: defaults of <c>${VAR:-default}</c> applied, service addresses moved to 127.0.0.1.</summary>
    private static Dictionary<string, string> Environment(YamlMappingNode service, IReadOnlyDictionary<string, int> ports)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!service.Children.TryGetValue(new YamlScalarNode("environment"), out var node))
        {
            return environment;
        }

        foreach (var (key, value) in ((YamlMappingNode)node).Children)
        {
            var text = Interpolation().Replace(value.ToString(), match => match.Groups["default"].Value);
            text = ServiceAddress().Replace(text, match => ports.TryGetValue(match.Groups["host"].Value, out var port)
                ? $"http://127.0.0.1:{port}"
                : match.Value);
            environment[key.ToString()] = text;
        }

        return environment;
    }

    private static string Diagnostics(IEnumerable<ChildProcess> processes) =>
        string.Join(System.Environment.NewLine, processes.Select(p => $"--- {p.Name} ({(p.HasExited ? "exited" : "running")}) ---{System.Environment.NewLine}{p.Output}"));
}

/// <summary>The services of a compose file, with YAML merge keys (<c>&lt;&lt;: *anchor</c>) applied.</summary>
internal static class ComposeFile
{
    public static Dictionary<string, YamlMappingNode> Services(string path)
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        return services.Children.ToDictionary(entry => entry.Key.ToString(), entry => Merged((YamlMappingNode)entry.Value), StringComparer.Ordinal);
    }

    private static YamlMappingNode Merged(YamlMappingNode node)
    {
        var result = new YamlMappingNode();
        foreach (var (_, value) in node.Children.Where(entry => entry.Key.ToString() == "<<"))
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
}
