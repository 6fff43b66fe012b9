using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;
using Serilog.Formatting;

namespace Wrapper.Api.Hosting;

/// <summary>
/// Console output when standard output is not a terminal (a container's log driver, a file, a pipe): events are queued
/// by the thread that logs them and formatted and written by one writer, in batches, one write each. The console sink
/// writes and flushes each event under a lock on the thread that logged it, one system call per request log line;
/// measured with bench/, that was a few percent of a relayed request's CPU and the only blocking write on a request's
/// path (a slow log collector stalled every request).
/// <list type="bullet">
/// <item>The writer sleeps until an event comes (no timer while idle), then lets the batch fill for
/// <see cref="BatchWindow"/> and writes what came: lines are at most a few milliseconds late, and under load events live
/// too briefly to be promoted by the GC (a 100 ms buffer, tried first, sent thousands of events a second to gen 2).</item>
/// <item>At most <see cref="Logging.ConsoleQueueLimit"/> events wait; beyond that they are dropped, and a line says how
/// many, rather than held in memory or blocking requests.</item>
/// <item>Disposing it (the logger's disposal at host shutdown) writes what is still queued.</item>
/// </list>
/// </summary>
public sealed class BatchedConsoleSink : ILogEventSink, IDisposable
{
    /// <summary>How long a batch may fill once its first event has come.</summary>
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(10);

    private readonly ITextFormatter _formatter;
    private readonly StreamWriter _output;
    private readonly Channel<LogEvent> _queue;
    private readonly Task _writer;
    private long _dropped;

    public BatchedConsoleSink(ITextFormatter formatter, Stream output, int queueLimit = Logging.ConsoleQueueLimit)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueLimit, 1);
        _formatter = formatter;
        _output = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 32 * 1024) { AutoFlush = false };
        _queue = Channel.CreateBounded<LogEvent>(
            new BoundedChannelOptions(queueLimit) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        _writer = Task.Run(WriteAsync);
    }

    public void Emit(LogEvent logEvent) => _queue.Writer.TryWrite(logEvent);

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!reader.Completion.IsCompleted)
            {
                await Task.Delay(BatchWindow).ConfigureAwait(false);
            }

            while (reader.TryRead(out var logEvent))
            {
                Format(logEvent);
            }

            try
            {
                if (Interlocked.Exchange(ref _dropped, 0) is > 0 and var dropped)
                {
                    await _output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"[{DateTime.Now:HH:mm:ss} WRN] {typeof(BatchedConsoleSink).FullName}: {dropped} log events were dropped: standard output did not keep up.")).ConfigureAwait(false);
                }

                await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                SelfLog.WriteLine("Writing log events to standard output failed: {0}", ex);
            }
        }
    }

    private void Format(LogEvent logEvent)
    {
        try
        {
            _formatter.Format(logEvent, _output);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            SelfLog.WriteLine("Formatting a log event failed: {0}", ex);
        }
    }

    public void Dispose()
    {
        if (!_queue.Writer.TryComplete())
        {
            return;
        }

        try
        {
            if (!_writer.Wait(DisposeTimeout))
            {
                // The writer is still at it: its stream is left to the process's exit.
                SelfLog.WriteLine("Standard output did not take the last log events within {0}.", DisposeTimeout);
                return;
            }
        }
        catch (AggregateException ex)
        {
            SelfLog.WriteLine("Writing log events to standard output failed: {0}", ex.InnerException);
        }

        _output.Dispose();
    }
}
