using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wrapper.Bench;

/// <summary>What one wrk run measured (latencies in microseconds, as wrk keeps them).</summary>
public sealed record WrkResult(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("duration_us")] long DurationMicroseconds,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("connect")] long ConnectErrors,
    [property: JsonPropertyName("read")] long ReadErrors,
    [property: JsonPropertyName("write")] long WriteErrors,
    [property: JsonPropertyName("status")] long StatusErrors,
    [property: JsonPropertyName("timeout")] long Timeouts,
    [property: JsonPropertyName("p50")] long P50,
    [property: JsonPropertyName("p90")] long P90,
    [property: JsonPropertyName("p99")] long P99,
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("max")] long Max)
{
    public double RequestsPerSecond => DurationMicroseconds > 0 ? Requests * 1e6 / DurationMicroseconds : 0;

    /// <summary>Socket errors, timeouts and answers that were not 2xx/3xx.</summary>
    public long Errors => ConnectErrors + ReadErrors + WriteErrors + StatusErrors + Timeouts;
}

/// <summary>Runs wrk (Debian's <c>wrk</c> package) against 127.0.0.1 for a fixed time with a Lua script that sends
/// the bench request and prints the summary as one JSON line.</summary>
public sealed class Wrk
{
    private const string Marker = "BENCHJSON ";
    private readonly string _scriptDirectory;

    public Wrk(string scriptDirectory) => _scriptDirectory = scriptDirectory;

    public static async Task EnsureInstalledAsync()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("wrk", "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            await process.WaitForExitAsync();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new BenchException("wrk is not installed: apt-get install -y wrk");
        }
    }

    public async Task<WrkResult> RunAsync(string baseUrl, BenchRequest request, int threads, int connections, int seconds, CancellationToken cancellationToken = default)
    {
        var uri = new Uri(new Uri(baseUrl), request.Path);
        if (!uri.IsLoopback)
        {
            throw new BenchException($"refusing to send load to {uri.Host}: the bench only targets 127.0.0.1");
        }

        var script = Path.Combine(_scriptDirectory, $"wrk-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script(request), cancellationToken);
        try
        {
            var info = new ProcessStartInfo("wrk")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
                     {
                         "-t", threads.ToString(CultureInfo.InvariantCulture),
                         "-c", connections.ToString(CultureInfo.InvariantCulture),
                         "-d", $"{seconds}s",
                         "--timeout", "10s",
                         "-s", script,
                         uri.ToString(),
                     })
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var text = await output;
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal));
            if (process.ExitCode != 0 || line is null)
            {
                throw new BenchException($"wrk failed (exit {process.ExitCode}): {text}{await error}");
            }

            return JsonSerializer.Deserialize<WrkResult>(line[Marker.Length..])!;
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static string Script(BenchRequest request)
    {
        var lua = new StringBuilder();
        lua.AppendLine("wrk.method = \"POST\"");
        lua.AppendLine(CultureInfo.InvariantCulture, $"wrk.body = {LongString(request.Body)}");
        lua.AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"");
        foreach (var (name, value) in request.Headers)
        {
            lua.AppendLine(CultureInfo.InvariantCulture, $"wrk.headers[ {LongString(name)} ] = {LongString(value)}");
        }

        lua.AppendLine("""
            function done(summary, latency, requests)
              local e = summary.errors
              io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}\n',
                summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
                latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
            end
            """);
        return lua.ToString();
    }

    /// <summary>A Lua long string whose level never occurs in the text.</summary>
    private static string LongString(string text)
    {
        var level = 0;
        while (text.Contains("]" + new string('=', level) + "]", StringComparison.Ordinal))
        {
            level++;
        }

        var equals = new string('=', level);
        return $"[{equals}[{text}]{equals}]";
    }
}
