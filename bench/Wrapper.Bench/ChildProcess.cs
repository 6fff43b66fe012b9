using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wrapper.Bench;

/// <summary>A process the bench started (simulator, proxy under test): its output goes straight to a log file
/// (no pipe for the bench to drain, as with a container's log driver); it is ended by its own id.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly string[] ScrubbedPrefixes =
        ["OPENAI_", "AZURE_", "ASPNETCORE_", "Simulator__", "Gateway__", "Serilog__", "Auth__", "RateLimiting__", "API_KEYS", "INSTANCE_ID", "OTEL_"];

    private static readonly List<Process> Running = [];

    private readonly Process _process;

    static ChildProcess()
    {
        // A bench stopped early (Ctrl+C, SIGTERM) ends what it started, by process id.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    private ChildProcess(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        lock (Running)
        {
            Running.Add(process);
        }
    }

    private static void KillAll()
    {
        lock (Running)
        {
            foreach (var process in Running)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException)
                {
                }
            }

            Running.Clear();
        }
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="file"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>;
    /// the inherited environment is cleared of the settings the measured programs read, then <paramref name="environment"/> is added.</summary>
    public static ChildProcess Start(
        string name, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        string workingDirectory, string logPath)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" >>\"$BENCH_LOG\" 2>&1");
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(file);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.ToList())
        {
            if (ScrubbedPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                info.Environment.Remove(key);
            }
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["BENCH_LOG"] = logPath;
        File.WriteAllText(logPath, $"# {name}: {file} {string.Join(' ', info.ArgumentList.Skip(4))}{Environment.NewLine}");
        var process = Process.Start(info) ?? throw new BenchException($"could not start {name} ({file})");
        return new ChildProcess(name, process, logPath);
    }

    /// <summary>Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new BenchException($"{Name} exited with code {_process.ExitCode} before listening; see {LogPath}:{Environment.NewLine}{Tail(LogPath)}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new BenchException($"{Name} did not listen on 127.0.0.1:{port} within {timeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>Peak resident set (VmHWM) since the process started, in bytes; 0 when unknown.</summary>
    public long PeakWorkingSetBytes() => ReadStatusKilobytes("VmHWM:") * 1024;

    /// <summary>User + system CPU time used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime;
    }

    private long ReadStatusKilobytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var digits = new string(line.AsSpan(field.Length).Trim().ToString().TakeWhile(char.IsDigit).ToArray());
                    return long.Parse(digits, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    public static string Tail(string path, int lines = 15)
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(path).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>A free TCP port on 127.0.0.1 (bound then released).</summary>
    public static int FreePort()
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
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        lock (Running)
        {
            Running.Remove(_process);
        }

        _process.Dispose();
    }
}
