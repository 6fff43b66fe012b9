using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Wrapper.McpClientTests;

/// <summary>The built Wrapper.Api started as its own process on 127.0.0.1 (embedded simulator, one client key).</summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the service printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ApiProcess> StartAsync(string apiKey, TimeSpan timeout)
    {
        var dll = Path.Combine(RepositoryPaths.ApiOutputFolder, "Wrapper.Api.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build src/Api first: {dll} is missing.", dll);
        }

        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        // No OPENAI_ENDPOINT / AZURE_AI_PROJECT_ENDPOINT: the embedded simulator answers.
        foreach (var name in new[] { "OPENAI_ENDPOINT", "OPENAI_API_KEY", "OPENAI_SIMULATED", "AZURE_AI_PROJECT_ENDPOINT", "AZURE_AI_AGENT_ID", "ASPNETCORE_URLS", "PORT" })
        {
            info.Environment[name] = string.Empty;
        }

        info.Environment["API_KEYS"] = "e2e:" + apiKey;
        info.Environment["SIMULATOR_LATENCY_PER_TOKEN_MS"] = "0";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Production simulates the missing endpoints only on request.
        info.Environment["WRAPPER_ALLOW_SIMULATOR"] = "true";

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet.");
        var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => api.Append(e.Data);
        process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Wrapper.Api exited with {process.ExitCode}:\n{api.Output}");
            }

            try
            {
                using var response = await http.GetAsync("health/live");
                return api; // any HTTP answer means it is listening
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        await api.DisposeAsync();
        throw new TimeoutException($"Wrapper.Api did not answer within {timeout}:\n{api.Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
