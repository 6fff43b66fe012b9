using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Wrapper.Api.Hosting;

/// <summary>
/// Console output when standard output is not a terminal (a container's log driver, a file, a pipe): events are
/// formatted off the request path, by Serilog's batching loop, and written in one write per batch. The console sink
/// writes and flushes each event under a lock on the thread that logged it, one system call per request log line;
/// measured with bench/, that was a few percent of a relayed request's CPU and the only blocking write on its path (a
/// slow log collector stalls every request). Batches are sent at once when they start after a quiet spell, else after
/// at most <see cref="Logging.ConsoleBatchLatency"/>; events beyond <see cref="Logging.ConsoleQueueLimit"/> waiting are
/// dropped (Serilog's self-log says so) rather than held in memory. Disposing the logger (host shutdown) writes what
/// is still queued.
/// </summary>
public sealed class BatchedConsoleSink : IBatchedLogEventSink, IDisposable
{
    private readonly ITextFormatter _formatter;
    private readonly StreamWriter _writer;

    public BatchedConsoleSink(ITextFormatter formatter, Stream output)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(output);
        _formatter = formatter;
        _writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 32 * 1024) { AutoFlush = false };
    }

    public async Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var logEvent in batch)
        {
            _formatter.Format(logEvent, _writer);
        }

        await _writer.FlushAsync();
    }

    public Task OnEmptyBatchAsync() => Task.CompletedTask;

    public void Dispose() => _writer.Dispose();
}
