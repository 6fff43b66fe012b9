using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using Wrapper.EndToEndTests.Cluster;

namespace Wrapper.EndToEndTests.Startup;

/// <summary>
/// The README's first command on a fresh clone: <c>dotnet run --project src/Api</c> with no configuration at all
/// (no Azure variables, no .env, no environment name) answers from the built-in simulator, because its launch profile
/// selects Development. The same build started without that profile runs in Production and refuses to start, naming
/// what is missing. Real processes on 127.0.0.1, from an empty working directory (so no stray .env is read).
/// </summary>
public sealed class ZeroConfigurationStartTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Every setting the service reads by these prefixes is removed from the child's environment.</summary>
    private static readonly string[] ScrubbedPrefixes =
    [
        "OPENAI_", "AZURE_", "API_KEYS", "WRAPPER_", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "URLS", "PORT", "Auth__", "AzureOpenAI__",
        "Agents__", "AgentService__", "Chat__", "Health__", "RateLimiting__", "SIMULATOR_", "INSTANCE_ID", "LOG_FORMAT", "Serilog__",
    ];

    private string _workingDirectory = null!;

    [SetUp]
    public void MakeEmptyWorkingDirectory() => _workingDirectory = Directory.CreateTempSubdirectory("wrapper-zero-config-").FullName;

    [TearDown]
    public void RemoveWorkingDirectory() => Directory.Delete(_workingDirectory, recursive: true);

    [Test]
    public async Task DotnetRunShouldAnswerFromTheSimulatorWithZeroConfiguration()
    {
        var port = ChildProcess.FreePort();
        var configuration = typeof(ZeroConfigurationStartTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var project = Path.Combine(BuildOutput.RepositoryRoot, "src", "Api");
        // --no-build: the project reference built it (in this configuration) before the tests.
        await using var run = Start("dotnet", ["run", "--project", project, "--no-build", "-c", configuration, "--", "--urls", $"http://127.0.0.1:{port}"]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        await run.WaitUntilAnsweringAsync(client, StartTimeout);

        using var completion = await client.GetAsync("completion?query=Hello");
        using var grounding = await client.PostAsync("bing-grounding?query=Hello", null);
        using var health = await client.GetAsync("health");
        var completionBody = await completion.Content.ReadAsStringAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(completion.StatusCode, Is.EqualTo(HttpStatusCode.OK), completionBody);
            Assert.That(JsonDocument.Parse(completionBody).RootElement.GetProperty("content").GetString(), Is.Not.Empty);
            Assert.That(grounding.StatusCode, Is.EqualTo(HttpStatusCode.OK), await grounding.Content.ReadAsStringAsync());
            Assert.That(completion.Headers.GetValues("X-Wrapper-Simulated").Single(), Is.EqualTo("openai, agents"));
            Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("""{"status":"ok","azure_openai":"simulated","agent_service":"simulated"}"""));
            Assert.That(run.Output, Does.Contain("Hosting environment: Development"));
        });
    }

    [Test]
    public async Task TheBuildStartedWithoutItsLaunchProfileShouldRefuseToSimulateInProduction()
    {
        var port = ChildProcess.FreePort();
        await using var api = Start("dotnet", [BuildOutput.Dll("Api"), "--urls", $"http://127.0.0.1:{port}"]);

        var exitCode = await api.WaitForExitAsync(StartTimeout);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero, api.Output);
            Assert.That(api.Output, Does.Contain("OPENAI_ENDPOINT (or AzureOpenAI__Upstreams__0__Endpoint) and AZURE_AI_PROJECT_ENDPOINT are not set"));
            Assert.That(api.Output, Does.Contain("the environment is 'Production'"));
            Assert.That(api.Output, Does.Contain("WRAPPER_ALLOW_SIMULATOR=true"));
        });
    }

    private Runner Start(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = _workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.Where(k => ScrubbedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            info.Environment.Remove(name);
        }

        // Not a setting of the service: keeps the CLI quiet and the test off the network.
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new Runner(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}."));
    }

    /// <summary>A started process with its output kept, killed with its children on dispose.</summary>
    private sealed class Runner : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        public Runner(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output => string.Join(Environment.NewLine, _output);

        public async Task WaitUntilAnsweringAsync(HttpClient client, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                Assert.That(_process.HasExited, Is.False, $"exited with {(_process.HasExited ? _process.ExitCode : 0)}:{Environment.NewLine}{Output}");
                try
                {
                    using var response = await client.GetAsync("health/live");
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"not answering after {timeout.TotalSeconds} s:{Environment.NewLine}{Output}");
                    await Task.Delay(200);
                }
            }
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"still running after {timeout.TotalSeconds} s:{Environment.NewLine}{Output}");
            }

            _process.WaitForExit(); // flushes the redirected output
            return _process.ExitCode;
        }

        private void Keep(string? line)
        {
            if (line is not null)
            {
                _output.Enqueue(line);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
