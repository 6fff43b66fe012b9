namespace Wrapper.EndToEndTests.Infrastructure;

/// <summary>Waits for a condition that a timer or a probe makes true, polling, with a generous deadline (the
/// deadline only bounds a broken run; nothing is asserted about how fast it happens).</summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan deadline, string what)
    {
        var started = DateTime.UtcNow;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow - started > deadline)
            {
                Assert.Fail($"Still not true after {deadline.TotalSeconds:0.#} s: {what}. Last value: {Describe(value)}");
            }

            await Task.Delay(50);
        }
    }

    private static string Describe<T>(T value) =>
        value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value);
}
