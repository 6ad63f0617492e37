package dev.stator.examples.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.Status;
import dev.stator.examples.session.SessionClient.Conn;
import dev.stator.history.History;
import dev.stator.history.Recording;
import dev.stator.history.TransitionRecord;
import dev.stator.inspect.Inspector;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The inspector in a real browser (headless Chromium driven by Selenium) over the session-client
 * example: the page lists the client's machine, lights {@code Connected} up when the client
 * connects, steps back in the timeline to before it, opens the refused mutation and shows its
 * reason and resolution steps; then the exported recording opens from the page's file input.
 * A second test drives a machine at 10,000 transitions a second and waits for the page to show
 * the newest of them.
 *
 * <p>Chromium and its driver come from Debian ({@code bash .ci/install-chromium.sh}, which the
 * README's test command runs); the test fails, rather than skips, without them. Waits are
 * Selenium's explicit waits on what the page shows; nothing sleeps.
 */
@Timeout(120)
class InspectorBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Path SHOTS = Path.of("target", "screenshots");

  private LineServer server;
  private History history;
  private SessionClient client;
  private Inspector inspector;
  private WebDriver browser;

  @BeforeEach
  void start() throws IOException {
    server = LineServer.start();
    history = History.builder().capacity(1_000).build();
    client = SessionClient.builder(server.address()).clientId("browser")
        .heartbeat(Duration.ofMinutes(1), 2).tracer(history.tracer()).listed().build();
    inspector = Inspector.builder().port(0).history(history).start();
    browser = chromium();
  }

  @AfterEach
  void stop() throws IOException {
    try {
      if (browser != null) browser.quit();
    } finally {
      if (inspector != null) inspector.close();
      if (client != null) client.close();
      server.close();
    }
  }

  @Test
  void thePageFollowsTheSessionClientAndExplainsARefusal() throws Exception {
    Result refused = client.machine().add(Conn.Connected); // queued: the machine is confined
    assertThat(refused.await(WAIT)).isEqualTo(Status.CANCELED);
    assertThat(refused.reason()).isEqualTo("Connected requires Session");

    browser.get(inspector.url().toString());
    WebDriverWait wait = new WebDriverWait(browser, WAIT);
    wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#machines li[data-id='session:browser']")));
    By connected = By.cssSelector("#diagram g.node[data-state='Connected']");
    wait.until(ExpectedConditions.presenceOfElementLocated(connected));
    assertThat(classes(browser.findElement(connected))).doesNotContain("active");

    client.connect(WAIT);
    wait.until(d -> classes(d.findElement(connected)).contains("active"));
    shot("inspector-live.png");

    // Back in time: the refused add, before the client connected.
    WebElement row = wait.until(ExpectedConditions.elementToBeClickable(
        By.cssSelector("#timeline tr.transition.canceled")));
    assertThat(row.findElement(By.cssSelector(".reason")).getText())
        .isEqualTo("Connected requires Session");
    row.click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("moment"),
        "after transition #" + row.getAttribute("data-transition")));
    wait.until(d -> !classes(d.findElement(connected)).contains("active"));
    WebElement reason = wait.until(ExpectedConditions.visibilityOfElementLocated(
        By.id("transition-reason")));
    assertThat(reason.getText()).isEqualTo("refused: Connected requires Session");
    assertThat(browser.findElements(By.cssSelector("#steps li")).stream()
        .map(WebElement::getText))
        .contains("Connected is called (R1)", "Connected is dropped: it requires Session (R3)");
    shot("inspector-refused.png");

    // Back to live: Connected again.
    browser.findElement(By.id("live")).click();
    wait.until(d -> classes(d.findElement(connected)).contains("active"));

    // Filters: refused or errors only leaves the refused add; as a log, it is one line.
    browser.findElement(By.id("f-errors")).click();
    wait.until(d -> d.findElements(By.cssSelector("#timeline tbody tr")).size() == 1);
    assertThat(browser.findElement(By.cssSelector("#timeline tbody tr")).getAttribute("class"))
        .contains("canceled");
    browser.findElement(By.id("f-log")).click();
    wait.until(ExpectedConditions.textToBe(By.id("log"),
        "[session:browser] #1 add[Connected] CANCELED: Connected requires Session"));
    browser.findElement(By.id("f-log")).click();
    browser.findElement(By.id("f-errors")).click();
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("f-state")))
        .selectByValue("Session");
    wait.until(d -> d.findElements(By.cssSelector("#timeline tbody tr")).stream()
        .allMatch(tr -> tr.getText().contains("Session"))
        && !d.findElements(By.cssSelector("#timeline tbody tr")).isEmpty());

    // The recording the page's export link downloads, opened from the page's file input.
    String exported;
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> res = http.send(HttpRequest.newBuilder(
          inspector.url().resolve("/api/export")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).isEqualTo(200);
      exported = res.body();
    }
    assertThat(Recording.read(new StringReader(exported)).machines())
        .anySatisfy(m -> assertThat(m.id()).isEqualTo("session:browser"));
    Path file = Files.createDirectories(SHOTS).resolve("exported.jsonl");
    Files.writeString(file, exported);
    browser.findElement(By.id("import")).sendKeys(file.toAbsolutePath().toString());
    wait.until(ExpectedConditions.textToBe(By.id("source"), "recording r1 (imported)"));
    WebElement recorded = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#machines li[data-id='session:browser']")));
    assertThat(recorded.getText()).contains("(recorded)");
    WebElement old = wait.until(ExpectedConditions.elementToBeClickable(
        By.cssSelector("#timeline tr.transition.canceled")));
    old.click();
    wait.until(ExpectedConditions.textToBe(By.id("transition-reason"),
        "refused: Connected requires Session"));
    shot("inspector-recording.png");
    browser.findElement(By.id("to-live")).click();
    wait.until(ExpectedConditions.textToBe(By.id("source"), "live"));
  }

  /** A one-state machine for the burst. */
  enum Flip { On }

  @Test
  void thePageFollowsTenThousandTransitionsASecond() throws Exception {
    History busy = History.builder().capacity(50_000).build();
    try (Machine<Flip> flip = Machine.of(Schema.of(Flip.class).build()).id("burst").listed()
             .tracer(busy.tracer()).build();
         Inspector live = Inspector.builder().port(0).history(busy).start()) {
      browser.get(live.url().toString());
      // the page redraws its machine list as records arrive: find and click in one step
      org.openqa.selenium.support.ui.FluentWait<WebDriver> wait = new WebDriverWait(browser, WAIT)
          .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
      wait.until(d -> {
        d.findElement(By.cssSelector("#machines li[data-id='burst']")).click();
        return true;
      });
      wait.until(ExpectedConditions.textToBe(By.id("machine-id"), "burst"));
      wait.until(ExpectedConditions.textToBe(By.id("conn"), "connected"));

      // 20,000 toggles paced at 10,000 a second (pacing, not waiting for anything)
      long period = 100_000;
      long next = System.nanoTime();
      for (int i = 0; i < 20_000; i++) {
        flip.toggle(Flip.On);
        next += period;
        long wait0 = next - System.nanoTime();
        if (wait0 > 0) LockSupport.parkNanos(wait0);
      }
      List<TransitionRecord> rs = busy.recording().timeline("burst").records();
      String newest = String.valueOf(rs.get(rs.size() - 1).transitionId());
      By top = By.cssSelector("#timeline tbody tr:first-child");
      wait.until(d -> newest.equals(d.findElement(top).getAttribute("data-transition")));
      String conn = browser.findElement(By.id("conn")).getText();
      String shown = browser.findElement(By.id("shown")).getText();
      System.out.println("page after 20,000 transitions at 10,000/s: " + conn + "; " + shown);
      assertThat(conn).isIn("connected", "resynchronised");
      assertThat(browser.findElements(By.cssSelector("#timeline tbody tr"))).hasSize(1_000);
      assertThat(shown).startsWith("the newest 1000 of ");
    }
  }

  private static String classes(WebElement e) {
    String c = e.getAttribute("class");
    return c == null ? "" : c;
  }

  private void shot(String name) throws IOException {
    File f = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.createDirectories(SHOTS);
    Files.copy(f.toPath(), SHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Headless Chromium through Debian's driver; a clear failure when either is missing. */
  private static WebDriver chromium() {
    File driver = new File("/usr/bin/chromedriver");
    File binary = new File("/usr/bin/chromium");
    if (!driver.canExecute() || !binary.canExecute()) {
      throw new IllegalStateException("the browser test needs Debian's chromium and"
          + " chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): run"
          + " 'bash .ci/install-chromium.sh' as root, or the README's test command");
    }
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(driver).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions().setBinary(binary)
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
            "--window-size=1400,1000");
    return new ChromeDriver(service, options);
  }
}
