using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>One of our programs started as its own process (<c>dotnet Wrapper.X.dll --urls http://127.0.0.1:PORT</c>)
/// from its build output folder, with its output kept for diagnostics and the whole tree killed on dispose.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 400;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;

    private ChildProcess(string name, Process process, Uri address)
    {
        Name = name;
        _process = process;
        Address = address;
    }

    public string Name { get; }

    public Uri Address { get; }

    public int Port => Address.Port;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines it wrote to stdout and stderr.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts <paramref name="dll"/> listening on <paramref name="port"/> and waits until it answers HTTP.</summary>
    public static async Task<ChildProcess> StartAsync(string name, string dll, int port, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var address = new Uri($"http://127.0.0.1:{port}/");
        var info = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString().TrimEnd('/'));

        // Nothing of the test runner's hosting settings leaks into the child.
        foreach (var key in new[] { "ASPNETCORE_URLS", "URLS", "PORT", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "OPENAI_ENDPOINT", "OPENAI_API_KEY", "AZURE_AI_PROJECT_ENDPOINT" })
        {
            info.Environment.Remove(key);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, address);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{name}: could not start dotnet {dll}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await child.WaitUntilAnsweringAsync(timeout);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        return child;
    }

    /// <summary>Kills the process (and its children) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Reported by the caller's next assertion if it matters.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                var output = Output;
                throw output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                    ? new PortTakenException($"{Name}: port {Address.Port} was taken before it could listen:{Environment.NewLine}{output}")
                    : new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before answering:{Environment.NewLine}{output}");
            }

            try
            {
                // Any HTTP answer (even a 404) means Kestrel is up and the app is built, if it came from this process: under
                // load another test's process can take the port between FreePort() and this start, answer in its place,
                // and leave this one unable to bind (it then exits, below).
                using var response = await client.GetAsync(new Uri(Address, "_alive"));
                if (ListensOnItsPort())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not answer on {Address} within {timeout.TotalSeconds} s:{Environment.NewLine}{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Whether this process holds the socket listening on its port (Linux: the LISTEN entries of
    /// <c>/proc/net/tcp</c> and <c>tcp6</c> against the sockets among <c>/proc/&lt;pid&gt;/fd</c>); true where that
    /// cannot be read.</summary>
    private bool ListensOnItsPort()
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        try
        {
            var inodes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
            {
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length > 9 && fields[3] == "0A"
                        && int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], System.Globalization.NumberStyles.HexNumber,
                            System.Globalization.CultureInfo.InvariantCulture) == Address.Port)
                    {
                        inodes.Add(fields[9]);
                    }
                }
            }

            return Directory.EnumerateFiles($"/proc/{_process.Id}/fd")
                .Select(fd => new FileInfo(fd).LinkTarget)
                .Any(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1]));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return true;
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>The <c>dotnet</c> host running these tests (the test host is started by it), else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    /// <summary>A TCP port free on 127.0.0.1 right now (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>The port given to a child was taken by another process between <see cref="ChildProcess.FreePort"/> and the
/// child's start: start it again on another.</summary>
public sealed class PortTakenException(string message) : Exception(message);
